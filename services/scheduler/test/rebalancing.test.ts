import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FleetWorker } from "#contracts";
import { job, scheduler, worker } from "./scheduler-harness.js";

const verifierProfile = {
  verifyMsByWindow: [
    { window: 0, ms: 20 },
    { window: 4, ms: 24 },
  ],
};
const drafter = (id: string, extra: Partial<FleetWorker> = {}) =>
  worker(id, "drafter", { profile: { draftMsPerToken: 1 }, ...extra });
const lowBattery = { power: { source: "battery" as const, level: 0.05 } };
const telemetry = (workerId: string, extra: object) =>
  ({
    workerId,
    at: 0,
    activeSessions: 0,
    targetOnlySessions: 0,
    tokensPerSecond: 0,
    rounds: 0,
    acceptedTokens: 0,
    draftedTokens: 0,
    rollbacks: 0,
    meanBatchSize: 0,
    memoryRssBytes: 0,
    power: { source: "plugged", level: null },
    brokerRttMs: null,
    links: [],
    ...extra,
  }) as FleetWorker["telemetry"];

/** One session on v1 + d1; then d1 goes on low battery while d2 is free. */
async function onLowBattery(progress: { promptTokens: number; generated: number } | null) {
  const s = scheduler();
  const fleet = (d1: Partial<FleetWorker>) => [
    worker("v1", "verifier", { profile: verifierProfile }),
    drafter("d1", d1),
    drafter("d2"),
  ];
  s.setFleet(fleet({}).map((w) => (w.workerId === "d2" ? { ...w, state: "draining" as const } : w)));
  const submitted = job({ maxTokens: 2000 });
  if (progress === null) s.workers.hold = new Promise(() => undefined);
  await s.admission.submit(submitted);
  if (progress) {
    await s.settle();
    await s.table.opened(submitted.sessionId, progress.promptTokens, 0);
    s.table.progressed(submitted.sessionId, progress.promptTokens + progress.generated);
  }
  s.setFleet(fleet({ telemetry: telemetry("d1", lowBattery) }));
  s.workers.calls.length = 0;
  return { s, sessionId: submitted.sessionId };
}

describe("rebalancing", () => {
  it("moves a session off a drafter on low battery, from the progress its verifier reported", async () => {
    const { s, sessionId } = await onLowBattery({ promptTokens: 5, generated: 100 });
    const [move] = s.rebalancer.rebalance();
    assert.equal(move?.drafterId, "d2");
    await s.settle();
    assert.deepEqual(s.workers.calls, [
      `close ${sessionId} d1`,
      `detach ${sessionId} v1-d1`,
      `attach ${sessionId} v1+d2`,
    ]);
    assert.equal(s.table.get(sessionId)?.drafterId, "d2");
  });

  it("leaves a session nearly done where it is (the move would cost more than it saves)", async () => {
    const { s } = await onLowBattery({ promptTokens: 5, generated: 1998 });
    assert.deepEqual(s.rebalancer.rebalance(), []);
  });

  it("leaves a session still being opened be", async () => {
    const { s } = await onLowBattery(null);
    assert.deepEqual(s.rebalancer.rebalance(), []);
  });
});
