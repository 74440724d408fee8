import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chiSquareHomogeneity, countOutcomes, totalVariation } from "#stats";

function sample(weights: Record<string, number>, n: number, seed: number): Map<string, number> {
  // A small LCG keeps the test deterministic.
  let state = seed;
  const entries = Object.entries(weights);
  const total = entries.reduce((s, [, w]) => s + w, 0);
  const outcomes: string[] = [];
  for (let i = 0; i < n; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    let v = (state / 2 ** 32) * total;
    const hit = entries.find(([, w]) => (v -= w) < 0) ?? entries.at(-1)!;
    outcomes.push(hit[0]);
  }
  return countOutcomes(outcomes);
}

describe("chiSquareHomogeneity", () => {
  it("matches a hand-computed 2×2 table", () => {
    // Observed [[10, 20], [30, 40]]: expected [[12, 18], [28, 42]], χ² = 0.7937.
    const result = chiSquareHomogeneity(
      new Map([
        ["x", 10],
        ["y", 30],
      ]),
      new Map([
        ["x", 20],
        ["y", 40],
      ]),
      0,
    );
    assert.ok(Math.abs(result.statistic - 0.79365) < 1e-4, String(result.statistic));
    assert.equal(result.degreesOfFreedom, 1);
    assert.ok(Math.abs(result.pValue - 0.373) < 1e-3, String(result.pValue));
  });

  it("does not reject two samples of one distribution", () => {
    const weights = { a: 5, b: 3, c: 1, d: 1 };
    const result = chiSquareHomogeneity(sample(weights, 4000, 1), sample(weights, 4000, 2));
    assert.ok(result.pValue > 0.01, `p = ${result.pValue}`);
  });

  it("rejects samples of different distributions", () => {
    const result = chiSquareHomogeneity(sample({ a: 5, b: 3, c: 2 }, 2000, 1), sample({ a: 4, b: 3, c: 3 }, 2000, 2));
    assert.ok(result.pValue < 1e-4, `p = ${result.pValue}`);
  });

  it("pools rare outcomes into one bin", () => {
    const a = new Map([
      ["common", 100],
      ["rare1", 1],
      ["rare2", 2],
    ]);
    const b = new Map([
      ["common", 100],
      ["rare3", 1],
    ]);
    assert.equal(chiSquareHomogeneity(a, b).bins, 2);
  });
});

describe("totalVariation", () => {
  it("is 0 for equal and 1 for disjoint distributions", () => {
    assert.equal(
      totalVariation(
        new Map([
          ["a", 2],
          ["b", 2],
        ]),
        new Map([
          ["a", 5],
          ["b", 5],
        ]),
      ),
      0,
    );
    assert.equal(totalVariation(new Map([["a", 1]]), new Map([["b", 1]])), 1);
    assert.equal(
      totalVariation(
        new Map([
          ["a", 3],
          ["b", 1],
        ]),
        new Map([
          ["a", 1],
          ["b", 1],
        ]),
      ),
      0.25,
    );
  });
});
