import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  PAIRING_TUNING_DEFAULTS,
  rebalanceMoves,
  type LiveSession,
  type PairingContext,
  type RebalanceTuning,
  type WorkerView,
} from "#pairing";

const worker =
  (role: WorkerView["role"]) =>
  (id: string, activeSessions: number, extra: Partial<WorkerView> = {}): WorkerView => ({
    id,
    role,
    modelName: role === "verifier" ? "m" : "small",
    vocabFingerprint: "vocab-A",
    ready: true,
    activeSessions,
    maxSessions: 8,
    ...extra,
  });
const v = worker("verifier");
const d = worker("drafter");
const profile = {
  verifyMsByWindow: [
    { window: 0, ms: 27 },
    { window: 4, ms: 59 },
  ],
};
const fast = { draftMsPerToken: 0.5 };
/** A verifier whose passes barely grow with the window (a GPU, say): speculation pays even when it is shared. */
const cheapVerify = {
  verifyMsByWindow: [
    { window: 0, ms: 27 },
    { window: 4, ms: 35 },
  ],
};
const slow = { draftMsPerToken: 15 };
const session = (extra: Partial<LiveSession> = {}): LiveSession => ({
  sessionId: "s1",
  request: { model: "m" },
  verifierId: "v1",
  drafterId: "d1",
  committedTokens: 40,
  remainingTokens: 200,
  ...extra,
});

const cases: Array<{
  name: string;
  fleet: WorkerView[];
  sessions?: LiveSession[];
  context?: PairingContext;
  expected: Array<[string, string, string]>;
}> = [
  {
    name: "a slowed drafter: the session moves to a fast one, same verifier",
    fleet: [v("v1", 1, { profile }), d("d1", 1, { profile: slow }), d("d2", 0, { profile: fast })],
    expected: [["s1", "v1", "d2"]],
  },
  {
    name: "an overloaded verifier: the session moves to an idle one",
    fleet: [v("v1", 6, { profile }), v("v2", 0, { profile }), d("d1", 1, { profile: fast })],
    expected: [["s1", "v2", "d1"]],
  },
  {
    name: "a pair whose acceptance fell: another drafter model",
    fleet: [
      v("v1", 1, { profile }),
      d("d1", 1, { profile: fast, modelName: "q2" }),
      d("d2", 0, { profile: fast, modelName: "q8" }),
    ],
    context: { acceptance: (model) => (model === "q2" ? 0.2 : 0.9) },
    expected: [["s1", "v1", "d2"]],
  },
  {
    name: "a drafter gone on low battery: the session leaves it",
    fleet: [
      v("v1", 1, { profile }),
      d("d1", 1, { profile: fast, power: { source: "battery", level: 0.1 } }),
      d("d2", 0, { profile: fast }),
    ],
    expected: [["s1", "v1", "d2"]],
  },
  {
    name: "never onto a low-battery drafter",
    fleet: [
      v("v1", 1, { profile }),
      d("d1", 1, { profile: slow }),
      d("d2", 0, { profile: fast, power: { source: "battery", level: 0.1 } }),
    ],
    expected: [],
  },
  {
    name: "a small gain is not worth a move (hysteresis)",
    fleet: [
      v("v1", 1, { profile }),
      d("d1", 1, { profile: { draftMsPerToken: 1.2 } }),
      d("d2", 0, { profile: { draftMsPerToken: 1 } }),
    ],
    expected: [],
  },
  {
    name: "a session about to finish stays (moving costs more than it saves)",
    fleet: [v("v1", 6, { profile }), v("v2", 0, { profile }), d("d1", 1, { profile: fast })],
    sessions: [session({ remainingTokens: 3, committedTokens: 400 })],
    expected: [],
  },
  {
    name: "one move per call, the one that saves most",
    fleet: [
      v("v1", 2, { profile: cheapVerify }),
      d("d1", 1, { profile: slow }),
      d("d3", 1, { profile: { draftMsPerToken: 8 } }),
      d("d2", 0, { profile: fast }),
    ],
    sessions: [session({ remainingTokens: 50 }), session({ sessionId: "s2", drafterId: "d3", remainingTokens: 300 })],
    expected: [["s2", "v1", "d2"]],
  },
  {
    name: "a verifier move needs a larger gain than a drafter move (it releases and resumes the session)",
    fleet: [
      v("v1", 1, { profile: cheapVerify, brokerRttMs: 30 }),
      v("v2", 0, { profile: cheapVerify, brokerRttMs: 15 }),
      d("d1", 1, { profile: fast, brokerRttMs: 10 }),
    ],
    expected: [],
  },
  {
    name: "a measured pair is not left for an alike one that only looks faster for being unmeasured",
    fleet: [
      v("v1", 1, { profile, brokerRttMs: 20 }),
      v("v2", 0, { profile, brokerRttMs: 20 }),
      d("d1", 1, { profile: fast, brokerRttMs: 20 }),
      d("d2", 0, { profile: fast, brokerRttMs: 20 }),
    ],
    // The session's pair measured 40 ms of broker round trips plus 30 of queueing and messages.
    context: { roundTripMs: (drafter, verifier) => (drafter === "d1" && verifier === "v1" ? 70 : undefined) },
    expected: [],
  },
  {
    name: "…but a pair that measured slow still leaves for a better one",
    fleet: [
      v("v1", 1, { profile, brokerRttMs: 20 }),
      d("d1", 1, { profile: slow, brokerRttMs: 20 }),
      d("d2", 0, { profile: fast, brokerRttMs: 20 }),
    ],
    context: { roundTripMs: (drafter, verifier) => (drafter === "d1" && verifier === "v1" ? 70 : undefined) },
    expected: [["s1", "v1", "d2"]],
  },
  {
    name: "a drafter gone on low battery is left even when the session's verifier is full (its own slot)",
    fleet: [
      v("v1", 8, { profile }),
      d("d1", 1, { profile: fast, power: { source: "battery", level: 0.1 } }),
      d("d2", 0, { profile: fast }),
    ],
    expected: [["s1", "v1", "d2"]],
  },
  {
    name: "a session without a drafter is the attacher's business",
    fleet: [v("v1", 1, { profile }), d("d2", 0, { profile: fast })],
    sessions: [session({ drafterId: null })],
    expected: [],
  },
];

/**
 * The context of a fleet whose running pairs have had rounds: each session's own pair has a
 * measured round trip (0 ms where the case gives none), as it has a second after it opened.
 */
function measuredOwnPairs(sessions: readonly LiveSession[], context: PairingContext = {}): PairingContext {
  const own = new Set(sessions.map((s) => `${s.drafterId} ${s.verifierId}`));
  return {
    ...context,
    roundTripMs: (drafterId, verifierId) =>
      context.roundTripMs?.(drafterId, verifierId) ?? (own.has(`${drafterId} ${verifierId}`) ? 0 : undefined),
  };
}

describe("rebalanceMoves", () => {
  for (const c of cases) {
    it(c.name, () => {
      const sessions = c.sessions ?? [session()];
      const moves = rebalanceMoves(sessions, c.fleet, measuredOwnPairs(sessions, c.context));
      assert.deepEqual(
        moves.map((m) => [m.sessionId, m.verifierId, m.drafterId]),
        c.expected,
        JSON.stringify(moves),
      );
      for (const m of moves) assert.ok(m.to > m.from && m.savedMs > 0);
    });
  }
});

describe("rebalanceMoves: a pair not measured yet", () => {
  const slowDrafter = [v("v1", 1, { profile }), d("d1", 1, { profile: slow }), d("d2", 0, { profile: fast })];
  it("stays until its rounds say how it does (broker round trips alone are too noisy to move on)", () => {
    assert.deepEqual(rebalanceMoves([session()], slowDrafter, {}), []);
  });
  it("leaves a drafter on low battery all the same", () => {
    const fleet = [
      v("v1", 1, { profile }),
      d("d1", 1, { profile: fast, power: { source: "battery", level: 0.1 } }),
      d("d2", 0, { profile: fast }),
    ];
    assert.deepEqual(
      rebalanceMoves([session()], fleet, {}).map((m) => m.drafterId),
      ["d2"],
    );
  });
});

describe("rebalanceMoves: tuned", () => {
  // Two sessions on slowed drafters, two fast ones free: by default one moves per pass.
  const slowest = { draftMsPerToken: 40 };
  const fleet = [
    v("v1", 2, { profile: cheapVerify }),
    d("d1", 1, { profile: slowest }),
    d("d3", 1, { profile: slowest }),
    d("d2", 0, { profile: fast }),
    d("d4", 0, { profile: fast }),
  ];
  const sessions = [session(), session({ sessionId: "s2", drafterId: "d3" })];
  const cases: Array<{ name: string; rebalance: Partial<RebalanceTuning>; moves: number }> = [
    { name: "the defaults: one move a pass", rebalance: {}, moves: 1 },
    { name: "maxMoves 2: both move", rebalance: { maxMoves: 2 }, moves: 2 },
    { name: "maxMoves 0: none", rebalance: { maxMoves: 0 }, moves: 0 },
    { name: "a gain out of reach: none", rebalance: { minGain: 100 }, moves: 0 },
    { name: "a cost factor out of reach: none", rebalance: { costFactor: 1e9 }, moves: 0 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const tuning = {
        ...PAIRING_TUNING_DEFAULTS,
        rebalance: { ...PAIRING_TUNING_DEFAULTS.rebalance, ...c.rebalance },
      };
      assert.equal(rebalanceMoves(sessions, fleet, measuredOwnPairs(sessions), tuning).length, c.moves);
    });
  }
});
