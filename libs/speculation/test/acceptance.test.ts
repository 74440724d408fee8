import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { acceptGreedy, commonPrefixLength } from "#speculation";

describe("acceptGreedy", () => {
  const cases = [
    {
      name: "all accepted: bonus token appended",
      draft: [5, 6, 7],
      predictions: [5, 6, 7, 8],
      accepted: 3,
      tokens: [5, 6, 7, 8],
    },
    {
      name: "none accepted: only the correction",
      draft: [5, 6, 7],
      predictions: [9, 6, 7, 8],
      accepted: 0,
      tokens: [9],
    },
    {
      name: "partial: prefix then correction",
      draft: [5, 6, 7],
      predictions: [5, 6, 1, 8],
      accepted: 2,
      tokens: [5, 6, 1],
    },
    {
      name: "later matches after a mismatch do not count",
      draft: [5, 6, 7],
      predictions: [5, 0, 7, 8],
      accepted: 1,
      tokens: [5, 0],
    },
    { name: "empty draft (γ=0): one target token", draft: [], predictions: [4], accepted: 0, tokens: [4] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(acceptGreedy(c.draft, c.predictions), { accepted: c.accepted, tokens: c.tokens });
    });
  }

  const wrongCounts = [
    { draft: [1, 2], predictions: [1, 2] },
    { draft: [1, 2], predictions: [1, 2, 3, 4] },
    { draft: [], predictions: [] },
  ];
  for (const c of wrongCounts) {
    it(`throws for ${c.predictions.length} predictions on a window of ${c.draft.length}`, () => {
      assert.throws(() => acceptGreedy(c.draft, c.predictions), {
        message: `expected ${c.draft.length + 1} predictions for a window of ${c.draft.length}, got ${c.predictions.length}`,
      });
    });
  }
});

describe("commonPrefixLength", () => {
  const cases: [number[], number[], number][] = [
    [[], [], 0],
    [[1, 2], [], 0],
    [[1, 2, 3], [1, 2, 3], 3],
    [[1, 2, 3], [1, 2], 2],
    [[1, 2], [1, 2, 3, 4], 2],
    [[1, 9, 3], [1, 2, 3], 1],
    [[7], [8], 0],
  ];
  for (const [a, b, expected] of cases) {
    it(`${JSON.stringify(a)} vs ${JSON.stringify(b)} → ${expected}`, () => {
      assert.equal(commonPrefixLength(a, b), expected);
    });
  }
});
