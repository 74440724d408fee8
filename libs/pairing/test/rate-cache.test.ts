import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CandidatePair, PairingContext } from "#pairing";
import { PairRateCache } from "../src/rate-cache.js";
import { d, v } from "./workers.js";

/** A prediction that counts its calls: the rate is a function of the sessions on both workers. */
function counting(): { predict: (pair: CandidatePair) => number; calls: () => number } {
  let calls = 0;
  return {
    predict: ({ verifier, drafter }) => {
      calls++;
      return 100 / (1 + verifier.activeSessions + drafter.activeSessions);
    },
    calls: () => calls,
  };
}

describe("PairRateCache", () => {
  it("reuses a pair's rate while its workers' sessions and the context's revision are the same", () => {
    const cache = new PairRateCache();
    const { predict, calls } = counting();
    const pair = { verifier: v("v1", 0, 4), drafter: d("d1", 0, 4) };
    const context: PairingContext = { revision: 1 };
    assert.equal(cache.rate(pair, context, predict), 100);
    assert.equal(cache.rate(pair, { revision: 1 }, predict), 100); // another context object, same revision
    assert.equal(calls(), 1);
    pair.drafter.activeSessions = 1;
    assert.equal(cache.rate(pair, context, predict), 50);
    pair.verifier.activeSessions = 1;
    assert.equal(cache.rate(pair, context, predict), 100 / 3);
    assert.equal(calls(), 3);
    // Its sessions come and go: the rate at each verifier load is kept.
    pair.verifier.activeSessions = 0;
    assert.equal(cache.rate(pair, context, predict), 50);
    assert.equal(calls(), 3);
  });

  it("predicts again when the context's revision changes, and every time when it has none", () => {
    const cache = new PairRateCache();
    const { predict, calls } = counting();
    const pair = { verifier: v("v1", 0, 4), drafter: d("d1", 0, 4) };
    cache.rate(pair, { revision: 1 }, predict);
    cache.rate(pair, { revision: 2 }, predict);
    assert.equal(calls(), 2);
    cache.rate(pair, {}, predict);
    cache.rate(pair, undefined, predict);
    assert.equal(calls(), 4);
  });
});
