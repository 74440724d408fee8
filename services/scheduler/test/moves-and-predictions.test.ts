import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { schedulerMoveSchema, type FleetWorker } from "#contracts";
import { telemetry } from "./placement-drivers.js";
import { job, scheduler, worker } from "./scheduler-harness.js";

const verifierProfile = {
  verifyMsByWindow: [
    { window: 0, ms: 20 },
    { window: 4, ms: 24 },
  ],
};
const fleet = (extra: Partial<Record<"v1" | "v2" | "d1" | "d2", Partial<FleetWorker>>> = {}) => [
  worker("v1", "verifier", { profile: verifierProfile, ...extra.v1 }),
  worker("v2", "verifier", { profile: verifierProfile, ...extra.v2 }),
  worker("d1", "drafter", { profile: { draftMsPerToken: 1 }, ...extra.d1 }),
  worker("d2", "drafter", { profile: { draftMsPerToken: 1 }, ...extra.d2 }),
];

/** One session running on v1 + d1 (v2 and d2 draining, so it lands there), 20 tokens in. */
async function running() {
  const s = scheduler();
  s.setFleet(fleet({ v2: { state: "draining" }, d2: { state: "draining" } }));
  const submitted = job({ maxTokens: 500 });
  await s.admission.submit(submitted);
  await s.settle();
  s.table.progressed(submitted.sessionId, 5 + 20);
  return { s, sessionId: submitted.sessionId };
}

/** A metric's values, each its labels and its value. */
async function counts(metric: {
  get(): Promise<{ values: Array<{ value: number; labels: object }> }>;
}): Promise<Array<Record<string, unknown>>> {
  return (await metric.get()).values.map((v) => ({ ...v.labels, value: v.value }));
}

describe("what the scheduler tells of its decisions (the harness's fakes)", () => {
  it("a placement: timed and counted by outcome, its wait observed, its rate predicted by load-aware", async () => {
    const { s, sessionId } = await running();
    const rates = s.insight.rates(sessionId);
    assert.ok(rates.predicted !== null && rates.predicted > 0, `a predicted rate: ${rates.predicted}`);
    assert.equal(rates.achieved, null, "no round reported yet");
    assert.deepEqual(await counts(s.metrics.decisions), [{ policy: "least-loaded", outcome: "paired", value: 1 }]);
    const summary = s.insight.decisionSummary(Date.now());
    assert.equal(summary.total, 1);
    assert.ok(summary.p50Ms !== null && summary.p50Ms >= 0);
    const waited = (await s.metrics.queueTime.get()).values.find((v) => v.metricName?.endsWith("_count"));
    assert.equal(waited?.value, 1);
    assert.deepEqual(s.moves, [], "a placement is not a move");
  });

  it("a request that must wait is counted queued; no free verifier at all, refused", async () => {
    const s = scheduler({ config: { SCHEDULER_QUEUE_LIMIT: 4 } });
    s.setFleet(fleet({ v1: { maxSessions: 1 }, v2: { state: "draining" } }));
    await s.admission.submit(job());
    await s.admission.submit(job());
    await s.admission.submit(job({ model: "nobody-serves-it" }));
    const outcomes = Object.fromEntries((await counts(s.metrics.decisions)).map((c) => [c.outcome, c.value]));
    assert.deepEqual(outcomes, { paired: 1, queued: 1, refused: 1 });
  });

  const cases = [
    {
      name: "its verifier lost: verifier-failover",
      change: { v1: { state: "lost" as const } },
      kinds: ["verifier-failover"],
      reason: /verifier v1 was lost/,
    },
    {
      name: "its verifier draining: drain",
      change: { v1: { state: "draining" as const } },
      kinds: ["drain"],
      reason: /verifier v1 is draining/,
    },
    {
      name: "its drafter lost: drafter-lost, then the free drafter attached",
      change: { d1: { state: "lost" as const } },
      kinds: ["drafter-lost", "drafter-attached"],
      reason: /drafter d1 was lost: verifier v1 goes on alone/,
    },
    {
      name: "its drafter draining: drain, then the free drafter attached",
      change: { d1: { state: "draining" as const } },
      kinds: ["drain", "drafter-attached"],
      reason: /drafter d1 is draining/,
    },
  ];
  for (const c of cases) {
    it(`moves: ${c.name}`, async () => {
      const { s, sessionId } = await running();
      s.setFleet(fleet(c.change));
      s.recovery.fleetChanged();
      await s.settle();
      assert.deepEqual(
        s.moves.map((m) => m.kind),
        c.kinds,
      );
      for (const move of s.moves) assert.deepEqual(schedulerMoveSchema.parse(move), move);
      const [first] = s.moves;
      assert.equal(first!.sessionId, sessionId);
      assert.deepEqual(first!.from, { verifierId: "v1", drafterId: "d1" });
      assert.match(first!.reason, c.reason);
      const counted = Object.fromEntries((await counts(s.metrics.moves)).map((m) => [m.kind, m.value]));
      for (const kind of c.kinds) assert.equal(counted[kind], 1, kind);
    });
  }

  it("a drafter attached: the session's prediction is now the pair's, measured from its tokens then", async () => {
    const { s, sessionId } = await running();
    s.setFleet(fleet({ d1: { state: "lost" } }));
    s.recovery.fleetChanged();
    await s.settle();
    const attached = s.moves.find((m) => m.kind === "drafter-attached")!;
    assert.deepEqual(attached.to, { verifierId: "v1", drafterId: "d2" });
    assert.ok((s.insight.rates(sessionId).predicted ?? 0) > 0);
    // 25 tokens since the prompt at the attach; 75 a moment later: the achieved rate comes from those marks.
    s.insight.progressed(sessionId, 25);
    await new Promise((resolve) => setTimeout(resolve, 20));
    s.insight.progressed(sessionId, 75);
    const { achieved } = s.insight.rates(sessionId);
    assert.ok(achieved !== null && achieved > 0, `achieved ${achieved}`);
  });

  it("a drafter handing a session back: hand-back, and it goes on alone with the alone rate predicted", async () => {
    const { s, sessionId } = await running();
    const paired = s.insight.rates(sessionId).predicted;
    s.recovery.drafterLeft({
      sessionId,
      verifierId: "v1",
      drafterId: "d1",
      fasterAlone: true,
      reason: "alone is faster",
    });
    await s.settle();
    assert.deepEqual(
      s.moves.map((m) => [m.kind, m.to]),
      [["hand-back", { verifierId: "v1", drafterId: null }]],
    );
    const alone = s.insight.rates(sessionId).predicted;
    assert.ok(alone !== null && alone !== paired, `alone ${alone} vs paired ${paired}`);
  });

  it("a busy verifier at open: requeue", async () => {
    const s = scheduler();
    s.setFleet(fleet({ v2: { state: "draining" } }));
    s.workers.outcomes.push({ kind: "busy", reason: "no free slot" });
    const submitted = job();
    await s.admission.submit(submitted);
    await s.settle();
    assert.ok(s.admission.isWaiting(submitted.sessionId), "back in the queue");
    const [move] = s.moves;
    assert.equal(move?.kind, "requeue");
    assert.match(move!.reason, /verifier v1 was busy \(no free slot\)/);
  });

  it("a rebalance: timed as a decision, told with its predicted gain", async () => {
    const s = scheduler();
    const lowBattery = { telemetry: { ...telemetry("d1", null), power: { source: "battery" as const, level: 0.05 } } };
    s.setFleet(fleet({ v2: { state: "draining" }, d2: { state: "draining" } }));
    const submitted = job({ maxTokens: 2000 });
    await s.admission.submit(submitted);
    await s.settle();
    s.table.progressed(submitted.sessionId, 5 + 100);
    s.setFleet(fleet({ v2: { state: "draining" }, d1: lowBattery }));
    const before = s.insight.decisionSummary(Date.now()).total;
    const [planned] = s.rebalancer.rebalance();
    await s.settle();
    assert.equal(s.insight.decisionSummary(Date.now()).total, before + 1, "the look counts as a decision");
    const [move] = s.moves;
    assert.equal(move?.kind, "rebalance");
    assert.deepEqual(move!.to, { verifierId: "v1", drafterId: "d2" });
    assert.deepEqual(move!.predictedGain, {
      fromTokensPerSecond: planned!.from,
      toTokensPerSecond: planned!.to,
      savedMs: planned!.savedMs,
    });
    assert.match(move!.reason, /drafter d2 replaces d1: predicted .* tokens\/s → .* tokens\/s/);
    assert.equal(s.insight.rates(submitted.sessionId).predicted, planned!.to);
  });
});
