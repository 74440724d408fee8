import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  canPair,
  createPairingPolicy,
  PAIRING_POLICY_NAMES,
  rebalanceMoves,
  type LiveSession,
  type PairingContext,
  type PairingDecision,
  type WorkerView,
} from "#pairing";
import { d, draws, request, v } from "./workers.js";

// Two releases' protocols (libs/contracts WORKER_PROTOCOL), and a worker older than the field (none).
const OLD = { protocol: "0a1b2c3d4e5f" };
const NEW = { protocol: "f5e4d3c2b1a0" };
const profile = {
  verifyMsByWindow: [
    { window: 0, ms: 27 },
    { window: 4, ms: 59 },
  ],
};

/**
 * During an upgrade two releases' workers run at once: a drafter and a verifier whose protocols
 * differ would refuse each other's rounds, so no policy ever pairs them (like two vocabularies).
 */
describe("pairing across protocols", () => {
  const cases: Array<{ what: string; fleet: WorkerView[]; expected: PairingDecision["kind"]; drafter?: string }> = [
    { what: "same protocol: pair", fleet: [v("v1", 0, 4, NEW), d("d1", 0, 4, NEW)], expected: "pair", drafter: "d1" },
    { what: "another protocol: alone", fleet: [v("v1", 0, 4, NEW), d("d1", 0, 4, OLD)], expected: "alone" },
    {
      what: "a drafter without one, a verifier with one: alone",
      fleet: [v("v1", 0, 4, NEW), d("d1", 0, 4)],
      expected: "alone",
    },
    {
      what: "a verifier without one, a drafter with one: alone",
      fleet: [v("v1", 0, 4), d("d1", 0, 4, NEW)],
      expected: "alone",
    },
    {
      what: "neither has one (DSD-Sim, older fleets): pair",
      fleet: [v("v1", 0, 4), d("d1", 0, 4)],
      expected: "pair",
      drafter: "d1",
    },
    {
      what: "an idle drafter of another protocol beside a busier one of its own: the busier one",
      fleet: [v("v1", 0, 4, NEW), d("d0", 0, 4, { ...OLD, profile: { draftMsPerToken: 0.1 } }), d("d1", 3, 4, NEW)],
      expected: "pair",
      drafter: "d1",
    },
    {
      what: "two verifiers, each release's drafter goes to its own",
      fleet: [v("v1", 0, 4, OLD), v("v2", 3, 4, NEW), d("d1", 0, 4, NEW)],
      expected: "pair",
      drafter: "d1",
    },
  ];
  for (const name of PAIRING_POLICY_NAMES) {
    for (const c of cases) {
      it(`${name}: ${c.what}`, () => {
        const decision = createPairingPolicy(name)(c.fleet, request, draws(0.3, 0.7));
        assert.equal(decision.kind, c.expected, JSON.stringify(decision));
        if (decision.kind !== "pair") return;
        assert.equal(decision.drafterId, c.drafter);
        const verifier = c.fleet.find((w) => w.id === decision.verifierId)!;
        const drafter = c.fleet.find((w) => w.id === decision.drafterId)!;
        assert.equal(verifier.protocol, drafter.protocol, JSON.stringify(decision));
      });
    }
  }

  it("canPair needs the vocabulary and the protocol both", () => {
    assert.equal(canPair(v("v1", 0, 4, NEW), d("d1", 0, 4, NEW)), true);
    assert.equal(canPair(v("v1", 0, 4), d("d1", 0, 4)), true);
    assert.equal(canPair(v("v1", 0, 4, NEW), d("d1", 0, 4, OLD)), false);
    assert.equal(canPair(v("v1", 0, 4, NEW), d("d1", 0, 4)), false);
    assert.equal(canPair(v("v1", 0, 4, NEW), d("d1", 0, 4, { ...NEW, vocabFingerprint: "vocab-B" })), false);
  });
});

describe("rebalancing across protocols", () => {
  const session: LiveSession = {
    sessionId: "s1",
    request: { model: "m" },
    verifierId: "v1",
    drafterId: "d1",
    committedTokens: 40,
    remainingTokens: 200,
  };
  // The session's own pair has had rounds (a pair never measured stays put until it has).
  const measured: PairingContext = {
    roundTripMs: (drafterId, verifierId) => (drafterId === "d1" && verifierId === "v1" ? 0 : undefined),
  };
  // A slowed drafter: a fast one elsewhere would take the session over, if it spoke the same protocol.
  const fleet = (fastOne: Partial<WorkerView>) => [
    v("v1", 1, 8, { ...NEW, profile }),
    d("d1", 1, 8, { ...NEW, profile: { draftMsPerToken: 15 } }),
    d("d2", 0, 8, { profile: { draftMsPerToken: 0.5 }, ...fastOne }),
  ];

  it("moves a session to a faster drafter of its own protocol", () => {
    const moves = rebalanceMoves([session], fleet(NEW), measured);
    assert.deepEqual(
      moves.map((m) => [m.sessionId, m.verifierId, m.drafterId]),
      [["s1", "v1", "d2"]],
    );
  });

  for (const [what, other] of [
    ["another protocol", OLD],
    ["none", {}],
  ] as const) {
    it(`never to one of ${what}`, () => {
      assert.deepEqual(rebalanceMoves([session], fleet(other), measured), []);
    });
  }

  it("never to a verifier of another protocol", () => {
    const verifiers = [
      v("v1", 7, 8, { ...NEW, profile }),
      v("v2", 0, 8, { ...OLD, profile }),
      d("d1", 1, 8, { ...NEW, profile: { draftMsPerToken: 0.5 } }),
    ];
    const moves = rebalanceMoves([session], verifiers, measured);
    assert.ok(!moves.some((m) => m.verifierId === "v2"), JSON.stringify(moves));
    // The same fleet in one protocol: the overloaded verifier's session does move (the case above can fail).
    const same = verifiers.map((w) => ({ ...w, ...NEW }));
    assert.deepEqual(
      rebalanceMoves([session], same, measured).map((m) => m.verifierId),
      ["v2"],
    );
  });
});
