import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FleetSnapshot, FleetWorker, SchedulerInsight, SchedulerMove } from "#contracts";
import { deviceRow, DeviceDiff, HEARTBEAT_RESEND_MS } from "../src/feed/device-rows.js";
import { FeedState, INSIGHT_FRESH_MS } from "../src/feed/feed-state.js";

const worker = (id: string, over: Partial<FleetWorker> = {}): FleetWorker => ({
  workerId: id,
  role: "verifier",
  model: { name: "m", vocabFingerprint: "fingerprint" },
  deviceClass: "cpu",
  threads: 1,
  maxSessions: 4,
  contextSize: 512,
  startedAt: 0,
  profile: {},
  state: "ready",
  draining: false,
  lastSeenAt: 1000,
  telemetry: {
    workerId: id,
    at: 1000,
    activeSessions: 1,
    targetOnlySessions: 0,
    tokensPerSecond: 12,
    rounds: 10,
    acceptedTokens: 30,
    draftedTokens: 40,
    rollbacks: 0,
    meanBatchSize: 1,
    memoryRssBytes: 100 << 20,
    power: { source: "battery", level: 0.5 },
    brokerRttMs: 0.4,
    links: [],
  },
  ...over,
});

const snapshot = (seq: number, workers: FleetWorker[]): FleetSnapshot => ({ epoch: 1, seq, at: 0, workers });

const insight = (running: number): SchedulerInsight => ({
  at: 0,
  policy: "load-aware",
  decisions: { total: 1, perSecond: 0, p50Ms: 1, p95Ms: 1, p99Ms: 1 },
  running,
  waiting: 0,
  sessions: [],
  queue: [],
});

const move = (sessionId: string): SchedulerMove => ({
  at: 0,
  kind: "drain",
  sessionId,
  from: null,
  to: null,
  predictedGain: null,
  reason: "drained",
});

void describe("deviceRow", () => {
  void it("maps the registry's worker to a row, acceptance from its telemetry", () => {
    const row = deviceRow(worker("v1"));
    assert.equal(row.acceptance, 0.75);
    assert.equal(row.tokensPerSecond, 12);
    assert.deepEqual(row.power, { source: "battery", level: 0.5 });
    assert.equal(row.brokerRttMs, 0.4);
    const silent = deviceRow(worker("v2", { telemetry: null }));
    assert.equal(silent.acceptance, null);
    assert.equal(silent.activeSessions, 0);
  });
});

void describe("DeviceDiff", () => {
  void it("sends new and changed rows and removed ids; a heartbeat alone only every few seconds", () => {
    const diff = new DeviceDiff();
    const a = deviceRow(worker("a"));
    const b = deviceRow(worker("b"));
    assert.deepEqual(diff.diff([a, b]).changed.length, 2);
    assert.deepEqual(diff.diff([a, b]), { changed: [], removed: [] });
    const beat = { ...a, lastSeenAt: a.lastSeenAt + 1 };
    assert.deepEqual(diff.diff([beat, b]).changed, [], "a heartbeat a moment later is not worth a row");
    const later = { ...a, lastSeenAt: a.lastSeenAt + HEARTBEAT_RESEND_MS };
    assert.deepEqual(diff.diff([later, b]).changed, [later]);
    const drained = { ...later, state: "draining" as const };
    assert.deepEqual(diff.diff([drained]), { changed: [drained], removed: ["b"] });
  });
});

void describe("FeedState", () => {
  void it("ignores an older snapshot of the same registry", () => {
    const state = new FeedState(() => 0);
    state.applySnapshot(snapshot(2, [worker("a"), worker("b")]));
    state.applySnapshot(snapshot(1, [worker("a")]));
    assert.equal(state.state("admin").state.devices.length, 2);
  });

  void it("a delta holds only what changed, then nothing", () => {
    let now = 0;
    const state = new FeedState(() => now);
    state.applySnapshot(snapshot(1, [worker("a"), worker("b")]));
    state.applyInsight(insight(1));
    const first = state.delta()!;
    assert.equal(first.devices?.length, 2);
    assert.equal(first.scheduler?.connected, true);
    assert.equal(state.delta(), null, "nothing changed");
    state.applySnapshot(snapshot(2, [worker("a", { state: "draining", draining: true }), worker("b")]));
    state.addMove(move("s1"));
    const second = state.delta()!;
    assert.deepEqual(
      second.devices?.map((d) => d.id),
      ["a"],
    );
    assert.deepEqual(
      second.moves.map((m) => m.move.sessionId),
      ["s1"],
    );
    assert.equal(second.scheduler, undefined);
    now = INSIGHT_FRESH_MS + 1;
    assert.equal(state.delta()?.scheduler?.connected, false, "a silent scheduler shows as disconnected");
  });

  void it("keeps the last 500 moves with increasing numbers", () => {
    const state = new FeedState(() => 0);
    for (let i = 0; i < 600; i++) state.addMove(move(`s${i}`));
    const { state: view, moveSeq } = state.state("viewer");
    assert.equal(view.moves.length, 500);
    assert.equal(view.moves[0]!.sessionId, "s100");
    assert.equal(moveSeq, 600);
    assert.equal(view.role, "viewer");
  });

  void it("merges the gateways' jobs and drops a gateway that stopped reporting", () => {
    let now = 0;
    const state = new FeedState(() => now);
    const job = (id: string, createdAt: number) => ({
      id,
      keyId: null,
      status: "running",
      total: 10,
      completed: 1,
      failed: 0,
      createdAt,
    });
    state.applyJobs("g1", [job("j2", 2)]);
    now = 4000;
    state.applyJobs("g2", [job("j1", 1)]);
    assert.deepEqual(
      state.state("admin").state.jobs.map((j) => j.id),
      ["j1", "j2"],
    );
    now = 8000;
    assert.deepEqual(
      state.state("admin").state.jobs.map((j) => j.id),
      ["j1"],
    );
  });
});
