import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { loadAware, predictPairRate, type PairingContext, type WorkerView } from "#pairing";
import { d, pair, request, v } from "./workers.js";

/** Load-aware: when the verifier decodes alone rather than with a drafter. */
describe("load-aware: the verifier alone", () => {
  const policy = loadAware();
  const tiny = {
    verifyMsByWindow: [
      { window: 0, ms: 1 },
      { window: 4, ms: 2 },
    ],
  };
  const agreeing: PairingContext = { acceptance: () => 0.95 };
  const near = { brokerRttMs: 0.5 };
  const far = { brokerRttMs: 60 };

  it("a drafter far from the broker makes a slow pair, so the verifier goes alone", () => {
    const decision = policy(
      [v("v1", 0, 4, { profile: tiny, ...near }), d("d1", 0, 4, { profile: { draftMsPerToken: 0.5 }, ...far })],
      request,
      agreeing,
    );
    assert.equal(decision.kind, "alone", JSON.stringify(decision));
  });

  it("…but a drafter model never seen against the target is tried first, so its acceptance is learnt", () => {
    const decision = policy(
      [v("v1", 0, 4, { profile: tiny, ...near }), d("d1", 0, 4, { profile: { draftMsPerToken: 0.5 }, ...far })],
      request,
      {},
    );
    assert.deepEqual(decision, pair("v1", "d1"));
  });

  it("a near drafter is worth pairing with", () => {
    const decision = policy(
      [v("v1", 0, 4, { profile: tiny, ...near }), d("d1", 0, 4, { profile: { draftMsPerToken: 0.5 }, ...near })],
      request,
      agreeing,
    );
    assert.deepEqual(decision, pair("v1", "d1"));
  });

  it("a pair's measured round trip overrides the broker round trips", () => {
    const fleet = [
      v("v1", 0, 4, { profile: tiny, ...near }),
      d("d1", 0, 4, { profile: { draftMsPerToken: 0.5 }, ...far }),
    ];
    const decision = policy(fleet, request, { ...agreeing, roundTripMs: () => 0.5 });
    assert.deepEqual(decision, pair("v1", "d1"));
  });

  it("the pair's round trip is both broker round trips, before it has its own", () => {
    const pairOf = (extra: Partial<WorkerView>) => ({
      verifier: v("v1", 0, 4, { brokerRttMs: 2 }),
      drafter: d("d1", 0, 4, extra),
    });
    const fixed = { windowPolicy: "fixed" as const, window: 0, maxWindow: 0, pipelined: false };
    // γ = 0: one token per verify (30 ms) + round trip + 1 ms of per-process work.
    assert.ok(Math.abs(predictPairRate(pairOf({ brokerRttMs: 8, drafting: fixed })) - 1000 / (30 + 10 + 1)) < 1e-9);
    assert.ok(
      Math.abs(predictPairRate(pairOf({ drafting: fixed })) - 1000 / (30 + 5 + 1)) < 1e-9,
      "unknown: the default 5 ms",
    );
  });

  it("every compatible drafter busy: a free verifier decodes alone rather than queueing", () => {
    const decision = policy([v("v1", 0, 4, { profile: tiny }), d("d1", 4, 4)], request, agreeing);
    assert.equal(decision.kind, "alone");
  });

  it("every verifier full: it waits", () => {
    assert.equal(policy([v("v1", 4, 4, { profile: tiny }), d("d1", 0, 4)], request).kind, "wait");
  });
});
