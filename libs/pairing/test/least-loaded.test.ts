import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { leastLoaded, pairingPolicies, type PairingDecision, type WorkerView } from "#pairing";

import { d, v } from "./workers.js";
const pair = (verifierId: string, drafterId: string): PairingDecision => ({ kind: "pair", verifierId, drafterId });
const notFound: PairingDecision = {
  kind: "none",
  code: "model_not_found",
  reason: "no ready verifier serves model 'm'",
};
const alone = (verifierId: string): PairingDecision => ({
  kind: "alone",
  verifierId,
  reason: "no ready drafter shares a vocabulary and a protocol with the verifiers of 'm'",
});
const wait = (n: number): PairingDecision => ({ kind: "wait", reason: `all ${n} compatible pairs are at capacity` });

const cases: { name: string; fleet: WorkerView[]; expected: PairingDecision }[] = [
  { name: "empty fleet", fleet: [], expected: notFound },
  { name: "model not served", fleet: [v("v1", 0, 4, { modelName: "other" }), d("d1", 0, 4)], expected: notFound },
  {
    name: "only verifier of the model is lost",
    fleet: [v("v1", 0, 4, { ready: false }), d("d1", 0, 4)],
    expected: notFound,
  },
  {
    name: "a drafter serving the model name is not a verifier",
    fleet: [d("d1", 0, 4, { modelName: "m" })],
    expected: notFound,
  },
  { name: "no drafter at all: target-only", fleet: [v("v1", 0, 4)], expected: alone("v1") },
  {
    name: "drafter with another vocabulary: target-only",
    fleet: [v("v1", 0, 4), d("d1", 0, 4, { vocabFingerprint: "vocab-B" })],
    expected: alone("v1"),
  },
  {
    name: "only compatible drafter is lost: target-only",
    fleet: [v("v1", 0, 4), d("d1", 0, 4, { ready: false })],
    expected: alone("v1"),
  },
  { name: "target-only on the least loaded verifier", fleet: [v("v1", 3, 4), v("v2", 1, 4)], expected: alone("v2") },
  {
    name: "target-only but every verifier full",
    fleet: [v("v1", 4, 4)],
    expected: { kind: "wait", reason: "every verifier of 'm' is at capacity" },
  },
  { name: "verifier full", fleet: [v("v1", 4, 4), d("d1", 0, 4)], expected: wait(1) },
  { name: "drafter full", fleet: [v("v1", 0, 4), d("d1", 2, 2)], expected: wait(1) },
  {
    name: "all 4 compatible pairs full",
    fleet: [v("v1", 4, 4), v("v2", 1, 4), d("d1", 2, 2), d("d2", 1, 1)],
    expected: wait(4),
  },
  {
    name: "full pairs exist, other verifier has no compatible drafter: wait, not none",
    fleet: [v("v1", 4, 4), v("v2", 0, 4, { vocabFingerprint: "vocab-B" }), d("d1", 0, 4)],
    expected: wait(1),
  },
  {
    name: "lost idle verifier ignored",
    fleet: [v("v1", 0, 4, { ready: false }), v("v2", 3, 4), d("d1", 1, 4)],
    expected: pair("v2", "d1"),
  },
  {
    name: "lost idle drafter ignored",
    fleet: [v("v1", 0, 4), d("d1", 0, 4, { ready: false }), d("d2", 3, 4)],
    expected: pair("v1", "d2"),
  },
  {
    name: "fractional, not absolute, load",
    fleet: [v("v1", 1, 2), v("v2", 2, 8), d("d1", 0, 4)],
    expected: pair("v2", "d1"),
  },
  {
    name: "full drafter skipped for the next best",
    fleet: [v("v1", 0, 4), d("d1", 4, 4), d("d2", 3, 4)],
    expected: pair("v1", "d2"),
  },
  {
    name: "pairs only share a vocabulary",
    fleet: [
      v("v1", 0, 4),
      v("v2", 2, 4, { vocabFingerprint: "vocab-B" }),
      d("d1", 0, 4, { vocabFingerprint: "vocab-B" }),
    ],
    expected: pair("v2", "d1"),
  },
  {
    name: "README example: v1 1/4, v2 0/4, d1 2/4, d2 1/4 → (v2, d2)",
    fleet: [v("v1", 1, 4), v("v2", 0, 4), d("d1", 2, 4), d("d2", 1, 4)],
    expected: pair("v2", "d2"),
  },
  {
    name: "tie: smaller verifier id, whatever the order",
    fleet: [v("v2", 1, 4), v("v1", 1, 4), d("d2", 0, 4), d("d1", 0, 4)],
    expected: pair("v1", "d1"),
  },
  {
    name: "tie on verifier: smaller drafter id",
    fleet: [v("v1", 0, 4), d("d-b", 1, 4), d("d-a", 1, 4)],
    expected: pair("v1", "d-a"),
  },
  {
    name: "tie: verifier id beats drafter id",
    fleet: [v("v2", 0, 4), v("v1", 0, 4), d("d2", 0, 4), d("d1", 2, 4)],
    expected: pair("v1", "d2"),
  },
];

describe("leastLoaded", () => {
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(leastLoaded(c.fleet, { model: "m" }), c.expected);
    });
  }

  it("is the policy named least-loaded", () => {
    assert.equal(pairingPolicies["least-loaded"](), leastLoaded);
  });

  // Scores are float sums: 1/10 + 2/10 (0.30000000000000004) must tie with 3/10 + 0/10 (0.3).
  it("exact tie in fractional load falls to the smaller verifier id", () => {
    const fleet = [
      v("v1", 1, 10),
      v("v2", 3, 10, { vocabFingerprint: "vocab-B" }),
      d("d1", 2, 10),
      d("d2", 0, 10, { vocabFingerprint: "vocab-B" }),
    ];
    assert.deepEqual(leastLoaded(fleet, { model: "m" }), pair("v1", "d1"));
  });
});
