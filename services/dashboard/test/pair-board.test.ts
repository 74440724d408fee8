import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DashboardPair, RoundReport, SchedulerInsight } from "#contracts";
import { PAIR_IDLE_MS, PairBoard } from "../src/feed/pair-board.js";
import { PairHistoryStore } from "../src/feed/pair-history.js";
import { RoundWindow } from "../src/feed/round-window.js";

const round = (over: Partial<RoundReport> = {}): RoundReport => ({
  sessionId: "s1",
  drafterId: "d1",
  verifierId: "v1",
  position: 0,
  window: 4,
  accepted: 2,
  draftMs: 1,
  verifyMs: 2,
  networkMs: 10,
  at: 0,
  ...over,
});

const session = (over: Partial<SchedulerInsight["sessions"][number]> = {}): SchedulerInsight["sessions"][number] => ({
  sessionId: "s1",
  model: "m",
  verifierId: "v1",
  drafterId: "d1",
  priority: 0,
  submittedAt: 0,
  placedAt: 0,
  promptTokens: 3,
  generatedTokens: 10,
  maxTokens: 100,
  origin: null,
  predictedTokensPerSecond: 30,
  achievedTokensPerSecond: 20,
  ...over,
});

void describe("RoundWindow", () => {
  void it("acceptance, windows, round trip and committed tokens/s over the last 10 s", () => {
    const w = new RoundWindow(0);
    w.add(1000, { window: 4, accepted: 4, networkMs: 10 });
    w.add(1500, { window: 4, accepted: 0, networkMs: 20 });
    w.add(2000, { window: 6, accepted: 3, networkMs: 30 });
    const stats = w.stats(10_000);
    assert.equal(stats.rounds, 3);
    assert.equal(stats.acceptance, 7 / 14);
    assert.equal(stats.meanWindow, 14 / 3);
    assert.deepEqual(stats.windows, { "4": 2, "6": 1 });
    assert.equal(stats.roundTripMs, 20);
    // (4+1) + (0+1) + (3+1) = 10 committed over 10 s watched.
    assert.equal(stats.tokensPerSecond, 1);
    assert.equal(w.lastWindow, 6);
  });

  void it("forgets rounds older than 10 s but keeps counting the total", () => {
    const w = new RoundWindow(0);
    w.add(1000, { window: 4, accepted: 4, networkMs: 10 });
    const stats = w.stats(30_000);
    assert.equal(stats.rounds, 0);
    assert.equal(stats.acceptance, null);
    assert.equal(stats.tokensPerSecond, 0);
    assert.equal(w.total, 1);
  });

  void it("divides by the time watched while shorter than the window", () => {
    const w = new RoundWindow(0);
    w.add(500, { window: 2, accepted: 1, networkMs: 1 });
    assert.equal(w.stats(2000).tokensPerSecond, 1, "2 committed over 2 s");
  });
});

void describe("PairBoard", () => {
  void it("lists pairs from rounds with their sessions' predicted and achieved rates", () => {
    const board = new PairBoard();
    board.add(1000, round());
    board.add(1000, round({ sessionId: "s2", drafterId: "d2", window: 2, accepted: 2 }));
    const pairs = board.list(2000, [
      session(),
      session({ sessionId: "s3", predictedTokensPerSecond: 50, achievedTokensPerSecond: null }),
    ]);
    const p1 = pairs.find((p) => p.drafterId === "d1")!;
    assert.equal(p1.sessions, 2);
    assert.equal(p1.predictedTokensPerSecond, 40);
    assert.equal(p1.achievedTokensPerSecond, 20, "a session not yet measured is left out of the mean");
    assert.equal(p1.rounds, 1);
    const p2 = pairs.find((p) => p.drafterId === "d2")!;
    assert.equal(p2.sessions, 0);
    assert.equal(p2.acceptance, 1);
    assert.equal(p2.predictedTokensPerSecond, null);
  });

  void it("lists a pair with a session but no round yet, and drops an idle pair without sessions", () => {
    const board = new PairBoard();
    board.add(0, round({ drafterId: "old" }));
    const pairs = board.list(PAIR_IDLE_MS + 1000, [session({ drafterId: "fresh" })]);
    assert.deepEqual(
      pairs.map((p) => p.drafterId),
      ["fresh"],
    );
    assert.equal(pairs[0]!.lastRoundAt, null);
  });

  void it("gives a session its last window and tokens/s, and forgets it once it is gone", () => {
    const board = new PairBoard();
    board.add(1000, round({ window: 5, accepted: 4 }));
    // 5 committed over the 1 s the session has been watched.
    assert.deepEqual(board.session(2000, "s1"), { window: 5, tokensPerSecond: 5 });
    assert.deepEqual(board.session(2000, "other"), { window: null, tokensPerSecond: null });
    board.prune(1000 + PAIR_IDLE_MS + 1, new Set());
    assert.deepEqual(board.session(2000, "s1"), { window: null, tokensPerSecond: null });
  });
});

void describe("PairHistoryStore", () => {
  const pair = (drafterId: string, lastRoundAt: number): DashboardPair => ({
    verifierId: "v1",
    drafterId,
    sessions: 1,
    acceptance: 0.5,
    meanWindow: 4,
    windows: { "4": 1 },
    roundTripMs: 3,
    tokensPerSecond: 10,
    rounds: 1,
    predictedTokensPerSecond: null,
    achievedTokensPerSecond: null,
    lastRoundAt,
  });

  void it("keeps 15 minutes of samples per pair", () => {
    const store = new PairHistoryStore(10, 15 * 60_000);
    for (let at = 0; at <= 20 * 60_000; at += 60_000) store.sample(at, [pair("d1", at)]);
    const points = store.history("v1", "d1")!.points;
    assert.equal(points[0]!.at, 5 * 60_000);
    assert.equal(points.length, 16);
    assert.equal(store.history("v1", "nope"), null);
  });

  void it("bounds the pairs kept, the most recently active first", () => {
    const store = new PairHistoryStore(2, 60_000);
    store.sample(0, [pair("a", 1), pair("b", 2), pair("c", 3)]);
    assert.equal(store.size, 2);
    assert.equal(store.history("v1", "a"), null, "the least recently active pair is not kept");
    store.sample(1000, [pair("a", 10)]);
    assert.equal(store.size, 2);
    assert.ok(store.history("v1", "a"));
    assert.equal(store.history("v1", "b"), null, "the least recently sampled pair is evicted");
  });
});
