import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  MetricsReport,
  SchedulerInsightReport,
  SchedulerMoves,
  type MetricJson,
  type SchedulerInsight,
  type SchedulerMove,
} from "#contracts";
import { MODEL } from "../support/fleet.js";
import { streamCompletion } from "../support/openai-client.js";
import { startProxiedFleet, type ProxiedFleet } from "../support/proxied-fleet.js";

/** Generous: these wait for something to happen, they do not time it. */
const WAIT_MS = 60_000;

async function waitFor<T>(what: string, find: () => T | undefined): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`waited ${WAIT_MS} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * What the scheduler tells operators, on a real fleet (one verifier, two drafters reaching NATS
 * through a 10 ms proxy, so a session runs a while): its insight lists a running session with
 * its pair and the rate predicted for it, then the rate achieved; draining the session's drafter
 * through the gateway's admin API is told as a move (kind `drain`, a reason in words) and the
 * free drafter taken is another (`drafter-attached`); the scheduler's metrics reach the bus.
 */
describe("scheduler insight and moves", () => {
  let harness: ProxiedFleet;
  const insights: SchedulerInsight[] = [];
  const moves: SchedulerMove[] = [];
  const reports: MetricJson[][] = [];

  before(async () => {
    harness = await startProxiedFleet("scheduler-insight", {
      verifiers: ["verifier-1"],
      drafters: ["drafter-1", "drafter-2"],
      maxSessions: 2,
      window: 4,
      serviceEnv: {
        scheduler: { SCHEDULER_INSIGHT_MS: "100", SCHEDULER_REBALANCE_MS: "0", METRICS_REPORT_MS: "250" },
      },
    });
    const { bus } = harness;
    bus.subscribe(SchedulerInsightReport, "", (insight) => insights.push(insight));
    bus.subscribe(SchedulerMoves, "", (move) => moves.push(move));
    bus.subscribe(MetricsReport, "", (report) => {
      if (report.actor === "scheduler") reports.push(report.metrics);
    });
    await bus.nc.flush();
  });

  after(async () => {
    await harness?.stop();
  });

  it("shows a running session with its pair and rates, and tells a drain of its drafter as a move", async () => {
    const idle = await waitFor("an insight", () => insights.at(-1));
    assert.equal(idle.policy, "least-loaded");
    assert.equal(idle.running, 0);

    const streaming = streamCompletion(
      harness.fleet.gatewayUrl,
      { model: MODEL, prompt: "Once upon a time", max_tokens: 400 },
      () => undefined,
    );
    const measured = await waitFor("a session with a predicted and an achieved rate", () =>
      insights
        .flatMap((i) => i.sessions)
        .find((s) => s.drafterId !== null && s.predictedTokensPerSecond !== null && s.achievedTokensPerSecond !== null),
    );
    assert.equal(measured.verifierId, "verifier-1");
    assert.equal(measured.model, MODEL);
    assert.equal(measured.maxTokens, 400);
    assert.ok(measured.predictedTokensPerSecond! > 0, `predicted ${measured.predictedTokensPerSecond}`);
    assert.ok(measured.achievedTokensPerSecond! > 0, `achieved ${measured.achievedTokensPerSecond}`);
    assert.ok(measured.placedAt >= measured.submittedAt);
    const withIt = insights.find((i) => i.sessions.some((s) => s.sessionId === measured.sessionId))!;
    assert.ok(withIt.decisions.total >= 1 && withIt.decisions.p50Ms !== null, JSON.stringify(withIt.decisions));

    const drained = measured.drafterId!;
    const other = drained === "drafter-1" ? "drafter-2" : "drafter-1";
    const response = await fetch(`${harness.fleet.gatewayUrl}/admin/devices/${drained}/drain`, { method: "POST" });
    assert.equal(response.status, 200, await response.text());

    const drain = await waitFor("the drain's move", () =>
      moves.find((m) => m.sessionId === measured.sessionId && m.kind === "drain"),
    );
    assert.deepEqual(drain.from, { verifierId: "verifier-1", drafterId: drained });
    assert.deepEqual(drain.to, { verifierId: "verifier-1", drafterId: null });
    assert.match(drain.reason, new RegExp(`drafter ${drained} is draining`));
    const attached = await waitFor("the other drafter attached", () =>
      moves.find((m) => m.sessionId === measured.sessionId && m.kind === "drafter-attached"),
    );
    assert.deepEqual(attached.to, { verifierId: "verifier-1", drafterId: other });

    const result = await streaming;
    assert.equal(result.done, true);
    assert.equal(result.tokenIds.length > 0, true);
    await waitFor("an insight without the ended session", () =>
      insights.at(-1)!.sessions.some((s) => s.sessionId === measured.sessionId) ? undefined : true,
    );

    // The scheduler's metrics, as its MetricsReport carries them.
    const value = (metrics: MetricJson[], name: string, labels: Record<string, string>) =>
      metrics
        .find((m) => m.name === name)
        ?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
    const latest = await waitFor("a metrics report after the end: the drain, a prediction ratio, none running", () =>
      reports.findLast(
        (m) =>
          (value(m, "specfleet:scheduler_moves_total", { kind: "drain" }) ?? 0) >= 1 &&
          value(m, "specfleet:num_requests_running", { model: MODEL }) === 0 &&
          m
            .find((x) => x.name === "specfleet:scheduler_prediction_ratio")
            ?.values.some((v) => v.metricName === "specfleet:scheduler_prediction_ratio_count" && v.value >= 1),
      ),
    );
    assert.ok((value(latest, "specfleet:scheduler_decisions_total", { outcome: "paired" }) ?? 0) >= 1);
    assert.ok((value(latest, "specfleet:scheduler_moves_total", { kind: "drafter-attached" }) ?? 0) >= 1);
    assert.equal(value(latest, "specfleet:num_requests_waiting", { model: MODEL }), 0);
  });
});
