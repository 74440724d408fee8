import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { backoffWindow, specDecWindow, windowPolicy, WINDOW_POLICY_NAMES } from "#window";

const round = (window: number, accepted: number) => ({ window, accepted, draftMs: 1, verifyMs: 5, networkMs: 1 });

describe("backoffWindow (additive increase, multiplicative decrease)", () => {
  const cases: Array<{ name: string; rounds: Array<[number]>; expected: number[] }> = [
    {
      name: "grows by one per fully accepted round, up to max",
      rounds: [[4], [5], [6], [6]],
      expected: [4, 5, 6, 6, 6],
    },
    { name: "halves on a rejection", rounds: [[1]], expected: [4, 2] },
    { name: "never below one", rounds: [[0], [0], [0]], expected: [4, 2, 1, 1] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const policy = backoffWindow(4, 6);
      const windows = [policy.next()];
      for (const [accepted] of c.rounds) {
        policy.observe(round(windows.at(-1)!, accepted));
        windows.push(policy.next());
      }
      assert.deepEqual(windows, c.expected);
    });
  }
});

describe("specDecWindow (stop when a rejection in the window becomes likely)", () => {
  it("drafts on while 1 − Π p stays at or below the threshold", () => {
    const policy = specDecWindow(8, 0.5);
    assert.equal(policy.next(), 8);
    // Π p: 0.9, 0.72, 0.504, 0.4032 → stop at the fourth token.
    assert.deepEqual(
      [0.9, 0.8, 0.7, 0.8].map((p, i) => policy.keepDrafting!(i + 1, p)),
      [true, true, true, false],
    );
  });

  it("starts every window afresh", () => {
    const policy = specDecWindow(8, 0.5);
    policy.next();
    assert.equal(policy.keepDrafting!(1, 0.1), false);
    policy.next();
    assert.equal(policy.keepDrafting!(1, 0.95), true);
  });
});

describe("windowPolicy by name", () => {
  for (const name of WINDOW_POLICY_NAMES) {
    it(`${name} gives a window within [0, max]`, () => {
      const window = windowPolicy(name, 4, 6).next();
      assert.ok(window >= 0 && window <= 6, `${name}: ${window}`);
    });
  }
  it("only specdec stops inside a window", () => {
    assert.deepEqual(
      WINDOW_POLICY_NAMES.filter((name) => windowPolicy(name, 4, 6).keepDrafting),
      ["specdec"],
    );
  });
});
