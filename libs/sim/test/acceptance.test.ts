import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { chiSquareHomogeneity } from "#stats";
import { acceptanceModel, Random, type AcceptanceConfig } from "#sim";

/** Run lengths drawn `n` times at window `max`, tallied by length. */
function drawn(config: AcceptanceConfig, max: number, n: number, seed = 1): Map<string, number> {
  const model = acceptanceModel(config);
  const random = new Random(seed);
  const u = () => random.next();
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const length = model.runLength(u, max);
    counts.set(String(length), (counts.get(String(length)) ?? 0) + 1);
  }
  return counts;
}

/** A sample of `n` as the distribution `p` (p[k]: chance of length k) expects it, exactly. */
const expected = (p: number[], n: number) =>
  new Map(p.map((pk, k) => [String(k), pk * n] as [string, number]).filter(([, c]) => c > 0));

/** P(L = k) for k = 0..max when position i is accepted with `q(i)` given the ones before it. */
function lengths(q: (i: number) => number, max: number): number[] {
  const p: number[] = [];
  let reach = 1;
  for (let k = 0; k < max; k++) {
    p.push(reach * (1 - q(k)));
    reach *= q(k);
  }
  p.push(reach);
  return p;
}

const N = 40_000;
// The expected sample is 50 times larger: homogeneity against it is nearly a goodness-of-fit test.
const fits = (config: AcceptanceConfig, max: number, p: number[]) =>
  chiSquareHomogeneity(drawn(config, max, N), expected(p, 50 * N)).pValue;

describe("rate acceptance", () => {
  const cases: Array<{ alpha: number; decay: number; max: number }> = [
    { alpha: 0.8, decay: 1, max: 8 },
    { alpha: 0.9, decay: 0.9, max: 12 },
    { alpha: 0.5, decay: 0.98, max: 4 },
    { alpha: 1, decay: 0.7, max: 6 },
  ];
  for (const { alpha, decay, max } of cases) {
    const config: AcceptanceConfig = { kind: "rate", alpha, decay };
    it(`α ${alpha}, decay ${decay}: position i accepted with α·decay^i, run lengths distributed so`, () => {
      const model = acceptanceModel(config);
      for (let i = 0; i < 5; i++) assert.ok(Math.abs(model.probability(i) - alpha * decay ** i) < 1e-12);
      assert.equal(model.alpha, alpha);
      const p = fits(
        config,
        max,
        lengths((i) => alpha * decay ** i, max),
      );
      assert.ok(p > 0.001, `p = ${p}`);
    });
  }
  it("the test can tell: without the decay the lengths do not fit", () => {
    const p = chiSquareHomogeneity(
      drawn({ kind: "rate", alpha: 0.9, decay: 1 }, 12, N),
      expected(
        lengths((i) => 0.9 * 0.9 ** i, 12),
        50 * N,
      ),
    ).pValue;
    assert.ok(p < 1e-6, `p = ${p}`);
  });
  it("a window of 0 accepts nothing", () => {
    assert.deepEqual([...drawn({ kind: "rate", alpha: 1, decay: 1 }, 0, 100)], [["0", 100]]);
  });
});

describe("histogram acceptance", () => {
  const cases: number[][] = [
    [30, 20, 10, 40],
    [5, 0, 15, 20, 10, 50],
    [70, 30],
    [0, 0, 1],
  ];
  for (const counts of cases) {
    const config: AcceptanceConfig = { kind: "histogram", counts };
    const W = counts.length - 1;
    const total = counts.reduce((s, c) => s + c, 0);
    it(`${JSON.stringify(counts)}: reproduces its counts at its own window`, () => {
      const model = acceptanceModel(config);
      const p = lengths((i) => model.probability(i), W);
      p.forEach((pk, k) =>
        assert.ok(Math.abs(pk - counts[k]! / total) < 1e-12, `P(L = ${k}) = ${pk}, counts say ${counts[k]! / total}`),
      );
    });
    it(`${JSON.stringify(counts)}: drawn run lengths follow the histogram`, () => {
      const pValue = fits(
        config,
        W,
        counts.map((c) => c / total),
      );
      assert.ok(pValue > 0.001, `p = ${pValue}`);
    });
    it(`${JSON.stringify(counts)}: α is accepted / (accepted + cut short); longer windows go on at α`, () => {
      const model = acceptanceModel(config);
      const accepted = counts.reduce((s, c, k) => s + c * k, 0);
      const cutShort = total - counts[W]!;
      assert.ok(Math.abs(model.alpha - accepted / (accepted + cutShort)) < 1e-12);
      for (let i = W; i < W + 4; i++) assert.equal(model.probability(i), model.alpha);
    });
  }
  it("a shorter window truncates the same draws: P(min(L, γ) = γ) = P(L ≥ γ)", () => {
    const counts = [30, 20, 10, 40];
    const tally = drawn({ kind: "histogram", counts }, 2, N);
    const p = chiSquareHomogeneity(tally, expected([0.3, 0.2, 0.5], 50 * N)).pValue;
    assert.ok(p > 0.001, `p = ${p}`);
  });
  it("the test can tell: another histogram's lengths do not fit", () => {
    const p = chiSquareHomogeneity(
      drawn({ kind: "histogram", counts: [30, 20, 10, 40] }, 3, N),
      expected([0.25, 0.25, 0.1, 0.4], 50 * N),
    ).pValue;
    assert.ok(p < 1e-6, `p = ${p}`);
  });
  it("an empty histogram is refused", () => {
    assert.throws(() => acceptanceModel({ kind: "histogram", counts: [0, 0] }), /at least one round/);
  });
});
