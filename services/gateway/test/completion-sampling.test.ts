import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { samplingOf } from "../src/completions/completion-request.js";

const request = { temperature: 0.8, top_p: 0.9, top_k: 20 };

describe("a request's sampling", () => {
  it("keeps the client's seed and says it was given", () => {
    assert.deepEqual(samplingOf({ ...request, seed: 42 }), {
      temperature: 0.8,
      topK: 20,
      topP: 0.9,
      seed: 42,
      seeded: true,
    });
    assert.equal(samplingOf({ ...request, seed: 0 }).seed, 0);
  });

  it("draws a fresh seed for a request without one, different each time, below 2^48", () => {
    const seeds = Array.from({ length: 100 }, () => samplingOf({ ...request, seed: null }));
    for (const sampling of seeds) {
      assert.equal(sampling.seeded, false);
      assert.ok(
        Number.isSafeInteger(sampling.seed) && sampling.seed >= 0 && sampling.seed < 2 ** 48,
        String(sampling.seed),
      );
    }
    assert.equal(new Set(seeds.map((s) => s.seed)).size, 100);
  });

  it("reads top_k 0 or below as no top-k", () => {
    assert.equal(samplingOf({ ...request, top_k: -1, seed: 1 }).topK, 0);
  });
});
