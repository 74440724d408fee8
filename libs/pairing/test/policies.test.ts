import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  createPairingPolicy,
  PAIRING_POLICY_NAMES,
  powerOfTwo,
  randomPairing,
  roundRobin,
  shortestQueue,
  type PairingDecision,
  type WorkerView,
} from "#pairing";
import { d, draws, pair, request, v } from "./workers.js";

/** What every policy shares (the candidates' decisions), and the DSD paper's baselines. */
describe("every policy", () => {
  for (const name of PAIRING_POLICY_NAMES) {
    const policy = createPairingPolicy(name);
    const cases: Array<{ what: string; fleet: WorkerView[]; expected: PairingDecision["kind"] }> = [
      { what: "no verifier: none", fleet: [d("d1", 0, 4)], expected: "none" },
      {
        what: "no compatible drafter: alone",
        fleet: [v("v1", 0, 4), d("d1", 0, 4, { vocabFingerprint: "other" })],
        expected: "alone",
      },
      { what: "every pair full: wait", fleet: [v("v1", 4, 4), d("d1", 0, 4)], expected: "wait" },
      { what: "a free pair: pair", fleet: [v("v1", 4, 4), v("v2", 0, 4), d("d1", 0, 4)], expected: "pair" },
      {
        what: "draining workers take nothing new",
        fleet: [v("v1", 0, 4, { ready: false }), d("d1", 0, 4)],
        expected: "none",
      },
    ];
    for (const c of cases) {
      it(`${name}: ${c.what}`, () => {
        const decision = policy(c.fleet, request, draws(0.3, 0.7));
        assert.equal(decision.kind, c.expected, JSON.stringify(decision));
        if (decision.kind === "pair") assert.deepEqual(decision, pair("v2", "d1"));
      });
    }
    it(`${name}: prefers healthy workers to degraded ones`, () => {
      const fleet = [v("v1", 0, 4, { degraded: true }), v("v2", 3, 4), d("d1", 0, 4)];
      assert.deepEqual(policy(fleet, request, draws(0.01)), pair("v2", "d1"));
    });
  }
});

describe("random", () => {
  const fleet = [v("v1", 0, 4), v("v2", 3, 4), d("d1", 0, 4), d("d2", 0, 4)];
  // Free pairs in id order: (v1,d1) (v1,d2) (v2,d1) (v2,d2).
  const cases: Array<[number, PairingDecision]> = [
    [0, pair("v1", "d1")],
    [0.3, pair("v1", "d2")],
    [0.6, pair("v2", "d1")],
    [0.99, pair("v2", "d2")],
  ];
  for (const [u, expected] of cases)
    it(`draw ${u}`, () => assert.deepEqual(randomPairing(fleet, request, draws(u)), expected));
});

describe("round-robin", () => {
  it("gives verifiers and drafters turns in id order, skipping full ones", () => {
    const policy = roundRobin();
    const fleet = [v("v2", 0, 4), v("v1", 0, 4), v("v3", 4, 4), d("d1", 0, 4), d("d2", 0, 4)];
    const decisions = Array.from({ length: 4 }, () => policy(fleet, request));
    assert.deepEqual(decisions, [pair("v1", "d1"), pair("v2", "d2"), pair("v1", "d1"), pair("v2", "d2")]);
  });
});

describe("shortest-queue", () => {
  const cases: Array<{ name: string; fleet: WorkerView[]; expected: PairingDecision }> = [
    {
      name: "fewest sessions on the verifier, whatever its capacity",
      fleet: [v("v1", 3, 16), v("v2", 2, 4), d("d1", 0, 4)],
      expected: pair("v2", "d1"),
    },
    {
      name: "then fewest on the drafter",
      fleet: [v("v1", 0, 4), d("d1", 2, 4), d("d2", 1, 4)],
      expected: pair("v1", "d2"),
    },
    {
      name: "the verifier decides before the drafter",
      fleet: [
        v("v1", 1, 4),
        v("v2", 2, 4),
        d("d1", 3, 4),
        d("d2", 0, 4, { vocabFingerprint: "B" }),
        v("v3", 2, 4, { vocabFingerprint: "B" }),
      ],
      expected: pair("v1", "d1"),
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(shortestQueue(c.fleet, request), c.expected));
});

describe("power-of-two", () => {
  const fleet = [v("v1", 3, 4), v("v2", 0, 4), d("d1", 0, 4)];
  it("keeps the less loaded of the two drawn", () =>
    assert.deepEqual(powerOfTwo(fleet, request, draws(0.1, 0.9)), pair("v2", "d1")));
  it("keeps the only one when both draws agree", () =>
    assert.deepEqual(powerOfTwo(fleet, request, draws(0.1, 0.2)), pair("v1", "d1")));
});
