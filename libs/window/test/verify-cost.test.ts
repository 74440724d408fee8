import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  byTokens,
  byWindow,
  fitVerifyLine,
  UNMEASURED_VERIFY_LINE,
  verifyCostCurve,
  VerifyLineFit,
  type VerifyCostPoint,
  type VerifyLine,
} from "#window";

const close = (actual: VerifyLine, expected: VerifyLine, what: string) =>
  assert.ok(
    Math.abs(actual.a - expected.a) < 1e-9 && Math.abs(actual.b - expected.b) < 1e-9,
    `${what}: ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`,
  );

const points = (...pairs: Array<[tokens: number, ms: number]>): VerifyCostPoint[] =>
  pairs.map(([tokens, ms]) => ({ tokens, ms }));

describe("the verify line", () => {
  const cases: Array<{ name: string; points: VerifyCostPoint[]; line: VerifyLine }> = [
    { name: "nothing measured: 25 ms + 5 ms a token", points: [], line: UNMEASURED_VERIFY_LINE },
    { name: "points on a line: that line", points: points([1, 27], [5, 59], [9, 91]), line: { a: 19, b: 8 } },
    {
      name: "scattered points: least squares",
      points: points([1, 30], [2, 30], [3, 36]),
      line: { a: 26, b: 3 },
    },
    {
      // 15% of a one-token pass per extra token: c₁ · (1 + 0.15 · 4) = 64, so c₁ = 40.
      name: "one size: each extra token 15% of a one-token pass",
      points: points([5, 64]),
      line: { a: 34, b: 6 },
    },
    { name: "one size, one token", points: points([1, 40], [1, 40]), line: { a: 34, b: 6 } },
    {
      name: "a falling cost (noise): flat through the mean, not below 0 slope",
      points: points([1, 50], [5, 40], [9, 36]),
      line: { a: 42, b: 0 },
    },
    {
      name: "a convex cost: least squares, even below 0 at no tokens",
      points: points([1, 1], [3, 1], [5, 13]),
      line: { a: -4, b: 3 },
    },
  ];
  for (const c of cases) {
    it(c.name, () => close(fitVerifyLine(c.points), c.line, "fitVerifyLine"));
    it(`${c.name} (running fit)`, () => {
      const fit = new VerifyLineFit();
      for (const p of c.points) fit.add(p.tokens, p.ms);
      close(fit.line(), c.line, "VerifyLineFit");
    });
  }

  it("forgets: after decay(0.5), what came before weighs half", () => {
    const fit = new VerifyLineFit();
    fit.add(1, 10);
    fit.add(9, 50);
    fit.decay(0.5);
    fit.add(1, 30);
    fit.add(9, 70);
    // At 1 token (0.5·10 + 30) / 1.5 = 23⅓ ms, at 9 (0.5·50 + 70) / 1.5 = 63⅓: 5 ms a token.
    close(fit.line(), { a: 55 / 3, b: 5 }, "decayed");
  });

  it("weighs a point as that many copies of it", () => {
    const fit = new VerifyLineFit();
    fit.add(1, 30, 3);
    fit.add(5, 50);
    close(fit.line(), fitVerifyLine(points([1, 30], [1, 30], [1, 30], [5, 50])), "weighted");
  });
});

describe("the measured curve (a simulated device)", () => {
  const cases: Array<{ name: string; points: VerifyCostPoint[]; at: Array<[tokens: number, ms: number]> }> = [
    {
      name: "one point: proportional to the tokens",
      points: points([2, 10]),
      at: [
        [1, 5],
        [4, 20],
      ],
    },
    {
      name: "linear between points, in any order",
      points: points([5, 40], [1, 20]),
      at: [
        [1, 20],
        [3, 30],
        [5, 40],
      ],
    },
    {
      name: "beyond the last, along the last two; before the first, along the first two",
      points: points([1, 20], [5, 40], [9, 48]),
      at: [
        [17, 64],
        [0, 15],
      ],
    },
    { name: "never below 0", points: points([4, 1], [5, 40]), at: [[1, 0]] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const cost = verifyCostCurve(c.points);
      for (const [tokens, ms] of c.at)
        assert.ok(Math.abs(cost(tokens) - ms) < 1e-9, `${tokens} tokens: ${cost(tokens)}`);
    });
  }
  it("needs a point", () => assert.throws(() => verifyCostCurve([])));
});

describe("keyed by window or by tokens", () => {
  it("a window γ is a pass of γ + 1 tokens, both ways", () => {
    const cost = (tokens: number) => 20 + 2 * tokens;
    const profile = byWindow(cost, [0, 4]);
    assert.deepEqual(profile, [
      { window: 0, ms: 22 },
      { window: 4, ms: 30 },
    ]);
    assert.deepEqual(byTokens(profile), points([1, 22], [5, 30]));
  });
});
