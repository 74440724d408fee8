import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PredictionLedger } from "../src/insight/prediction-ledger.js";

describe("PredictionLedger (a fake clock)", () => {
  it("achieved: committed tokens since the first known progress over the time they took", () => {
    const ledger = new PredictionLedger();
    ledger.predict("s1", 40, 0, null); // placed: progress not known yet
    assert.deepEqual(ledger.rates("s1"), { predicted: 40, achieved: null });
    ledger.progressed("s1", 0, 200); // the open reply
    assert.deepEqual(ledger.rates("s1"), { predicted: 40, achieved: null }, "one mark is no rate");
    ledger.progressed("s1", 30, 1_200); // rounds: 30 tokens in 1 s
    assert.deepEqual(ledger.rates("s1"), { predicted: 40, achieved: 30 });
    assert.equal(ledger.ended("s1", 50, 2_200), 50 / 2 / 40, "25 tokens/s achieved of 40 predicted");
    assert.deepEqual(ledger.rates("s1"), { predicted: null, achieved: null }, "forgotten at its end");
  });

  it("a new prediction (re-paired) closes the stretch with its ratio and measures afresh from the tokens then", () => {
    const ledger = new PredictionLedger();
    ledger.predict("s1", 20, 0, 0);
    ledger.progressed("s1", 20, 1_000);
    assert.equal(ledger.predict("s1", 50, 1_000, 20), 1, "20 tokens/s as predicted");
    ledger.progressed("s1", 45, 1_500);
    assert.deepEqual(ledger.rates("s1"), { predicted: 50, achieved: 50 });
  });

  it("no ratio without a prediction or without two marks; an unusable prediction is none", () => {
    const ledger = new PredictionLedger();
    ledger.predict("a", null, 0, 0);
    ledger.progressed("a", 10, 1_000);
    assert.equal(ledger.ended("a", 10, 1_000), null, "nothing was predicted");
    ledger.predict("b", 30, 0, null);
    assert.equal(ledger.ended("b", 10, 1_000), null, "only one mark: its end");
    ledger.predict("c", Number.POSITIVE_INFINITY, 0, 0);
    assert.equal(ledger.rates("c").predicted, null);
    assert.equal(ledger.ended("unknown", 5, 10), null);
  });

  it("a report older than the stretch's start, or behind its tokens, is ignored", () => {
    const ledger = new PredictionLedger();
    ledger.predict("s1", 10, 1_000, 100);
    ledger.progressed("s1", 90, 1_500); // from before the re-pairing
    assert.equal(ledger.rates("s1").achieved, null);
    ledger.progressed("s1", 110, 2_000);
    assert.equal(ledger.rates("s1").achieved, 10);
  });

  it("retain forgets sessions no longer known", () => {
    const ledger = new PredictionLedger();
    ledger.predict("keep", 1, 0, null);
    ledger.predict("gone", 1, 0, null);
    ledger.retain((id) => id === "keep");
    assert.equal(ledger.size, 1);
    assert.equal(ledger.rates("keep").predicted, 1);
  });
});
