import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FleetWorker } from "#contracts";
import { pairReports, pairStatsFor, viewsOf } from "../src/fleet/fleet-views.js";

const worker = (workerId: string, extra: Partial<FleetWorker> = {}): FleetWorker => ({
  workerId,
  role: workerId.startsWith("v") ? "verifier" : "drafter",
  model: { name: workerId.startsWith("v") ? "big" : "small", vocabFingerprint: "vocab-12345678" },
  deviceClass: "cpu",
  threads: 1,
  maxSessions: 4,
  contextSize: 512,
  startedAt: 1,
  profile: { draftMsPerToken: 2 },
  state: "ready",
  draining: false,
  lastSeenAt: 5,
  telemetry: null,
  ...extra,
});

const telemetry = (workerId: string, links: Array<{ verifierId: string; roundTripMs: number }>) => ({
  workerId,
  at: 0,
  activeSessions: 0,
  targetOnlySessions: 0,
  tokensPerSecond: 0,
  rounds: 0,
  acceptedTokens: 0,
  draftedTokens: 0,
  rollbacks: 0,
  meanBatchSize: 1,
  memoryRssBytes: 0,
  power: { source: "plugged" as const, level: null },
  links: links.map((l) => ({ ...l, acceptance: 0.5, rounds: 10 })),
  brokerRttMs: 1,
});

describe("the scheduler's views of successive snapshots", () => {
  it("keeps the views array of a snapshot equal to the last for policies, and each unchanged view", () => {
    const first = viewsOf([worker("v1"), worker("d1")], null);
    // The registry's next periodic snapshot: new objects, a later lastSeenAt, nothing a policy reads.
    const again = viewsOf([worker("v1", { lastSeenAt: 9 }), worker("d1", { lastSeenAt: 9 })], first);
    assert.equal(again.views, first.views);
    assert.equal(again.index, first.index);
    assert.equal(again.workers.get("v1")!.lastSeenAt, 9, "the snapshot's own workers are looked up");
    const changed = viewsOf([worker("v1"), worker("d1", { state: "draining" })], again);
    assert.notEqual(changed.views, first.views);
    assert.equal(changed.views[0], first.views[0], "the unchanged verifier keeps its view");
    assert.equal(changed.views[1]!.ready, false);
    const profiled = viewsOf([worker("v1", { profile: { draftMsPerToken: 3 } }), worker("d1")], changed);
    assert.notEqual(profiled.views[0], first.views[0]);
    assert.notEqual(profiled.views[1], changed.views[1], "d1 is ready again");
  });

  it("keeps the pair statistics (and their revision) while the link reports are the same", () => {
    const workers = [
      worker("v1"),
      worker("d1", { telemetry: telemetry("d1", [{ verifierId: "v1", roundTripMs: 4 }]) }),
    ];
    const byId = new Map(workers.map((w) => [w.workerId, w]));
    const first = pairStatsFor(pairReports(workers, byId), null);
    assert.equal(first.stats.context(Math.random).roundTripMs!("d1", "v1"), 4);
    assert.equal(pairStatsFor(pairReports(structuredClone(workers), byId), first), first);
    workers[1]!.telemetry = telemetry("d1", [{ verifierId: "v1", roundTripMs: 6 }]);
    const next = pairStatsFor(pairReports(workers, byId), first);
    assert.notEqual(next.stats.context(Math.random).revision, first.stats.context(Math.random).revision);
    assert.equal(next.stats.context(Math.random).roundTripMs!("d1", "v1"), 6);
  });
});
