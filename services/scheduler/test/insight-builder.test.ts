import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { schedulerInsightSchema } from "#contracts";
import { waitingFor } from "../src/admission/waiting.js";
import { buildInsight, countByModel } from "../src/insight/insight-builder.js";
import type { PlacedSession } from "../src/sessions/session-table.js";
import { job } from "./scheduler-harness.js";

const decisions = { total: 3, perSecond: 0.3, p50Ms: 0.1, p95Ms: 0.2, p99Ms: 0.2 };

function placed(n: number, extra: Partial<PlacedSession> = {}): PlacedSession {
  return {
    job: job({ sessionId: `run-${n}`, priority: n % 3, submittedAt: 1_000 + n, maxTokens: 100 }),
    verifierId: "v1",
    drafterId: n % 2 === 0 ? "d1" : null,
    placedAt: 2_000 + n,
    wantsDrafter: true,
    startedAt: {},
    promptTokens: 5,
    generatedTokens: n,
    ...extra,
  };
}

describe("buildInsight (a fake table and line)", () => {
  it("lists each session with its pair, progress, origin and rates, and the queue in serving order", () => {
    const sessions = [
      placed(0, { job: job({ sessionId: "run-0", origin: { keyId: "key-1", jobId: "job-1" }, submittedAt: 1_000 }) }),
      placed(1),
    ];
    const queue = [
      waitingFor(job({ sessionId: "wait-1", model: "big", priority: -1, submittedAt: 3_000 }), false, 3_000),
      waitingFor(job({ sessionId: "wait-2", model: "other", submittedAt: 3_001 }), true, 3_100),
    ];
    const rates = new Map([["run-0", { predicted: 40, achieved: 31.5 }]]);
    const insight = buildInsight({
      at: 5_000,
      policy: "load-aware",
      decisions,
      sessions,
      running: sessions.length,
      queue,
      waiting: queue.length,
      rates: (id) => rates.get(id) ?? { predicted: null, achieved: null },
    });
    assert.deepEqual(schedulerInsightSchema.parse(insight), insight, "what the contract carries");
    assert.deepEqual(insight.sessions[0], {
      sessionId: "run-0",
      model: "big",
      verifierId: "v1",
      drafterId: "d1",
      priority: 0,
      submittedAt: 1_000,
      placedAt: 2_000,
      promptTokens: 5,
      generatedTokens: 0,
      maxTokens: 64,
      origin: { keyId: "key-1", jobId: "job-1" },
      predictedTokensPerSecond: 40,
      achievedTokensPerSecond: 31.5,
    });
    assert.equal(insight.sessions[1]!.origin, null, "a request without an origin (an older gateway)");
    assert.equal(insight.sessions[1]!.drafterId, null, "decoding alone");
    assert.equal(insight.sessions[1]!.predictedTokensPerSecond, null);
    assert.deepEqual(
      insight.queue.map((w) => [w.sessionId, w.model, w.priority, w.submittedAt]),
      [
        ["wait-1", "big", -1, 3_000],
        ["wait-2", "other", 0, 3_001],
      ],
    );
    assert.deepEqual(
      [insight.at, insight.policy, insight.decisions, insight.running, insight.waiting],
      [5_000, "load-aware", decisions, 2, 2],
    );
  });

  it("cuts the lists at the limit; the counts stay whole", () => {
    const sessions = Array.from({ length: 30 }, (_, n) => placed(n));
    const queue = Array.from({ length: 12 }, (_, n) => waitingFor(job({ sessionId: `w${n}` }), false, n));
    const insight = buildInsight({
      at: 0,
      policy: "least-loaded",
      decisions,
      sessions,
      running: 30,
      queue,
      waiting: 12,
      rates: () => ({ predicted: null, achieved: null }),
      limit: 10,
    });
    assert.equal(insight.sessions.length, 10);
    assert.equal(insight.queue.length, 10);
    assert.deepEqual(insight.sessions.map((s) => s.sessionId).slice(0, 2), ["run-0", "run-1"]);
    assert.equal(insight.running, 30);
    assert.equal(insight.waiting, 12);
  });

  it("countByModel: the gauges' counts", () => {
    const counts = countByModel([{ job: { model: "a" } }, { job: { model: "b" } }, { job: { model: "a" } }]);
    assert.deepEqual(
      [...counts],
      [
        ["a", 2],
        ["b", 1],
      ],
    );
  });
});
