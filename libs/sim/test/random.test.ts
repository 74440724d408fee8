import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { chiSquareHomogeneity } from "#stats";
import { Random } from "#sim";

/** Deciles of `draw(seed)` over seeds 1..n, against the uniform: the homogeneity test's p. */
function uniformAcrossSeeds(n: number, draw: (seed: number) => number): number {
  const deciles = new Map<string, number>();
  for (let seed = 1; seed <= n; seed++) {
    const bin = String(Math.floor(draw(seed) * 10));
    deciles.set(bin, (deciles.get(bin) ?? 0) + 1);
  }
  const uniform = new Map(Array.from({ length: 10 }, (_, d) => [String(d), (50 * n) / 10] as [string, number]));
  return chiSquareHomogeneity(deciles, uniform).pValue;
}

describe("Random", () => {
  // Every stream of a simulation is a fork; its first draws must depend on the seed as much as later ones.
  const cases: Array<{ what: string; draw: (seed: number) => number }> = [
    { what: "the first draw", draw: (seed) => new Random(seed).next() },
    { what: "the first draw of fork 1", draw: (seed) => new Random(seed).fork(1).next() },
    {
      what: "the second draw of fork 1",
      draw: (seed) => {
        const r = new Random(seed).fork(1);
        r.next();
        return r.next();
      },
    },
    {
      what: "the first draw of the third fork",
      draw: (seed) => {
        const r = new Random(seed);
        r.fork(1);
        r.fork(2);
        return r.fork(3).next();
      },
    },
  ];
  for (const c of cases) {
    it(`${c.what} is uniform across seeds 1..3000`, () => {
      const p = uniformAcrossSeeds(3000, c.draw);
      assert.ok(p > 0.001, `p = ${p}`);
    });
  }

  it("draws lie in [0, 1) with mean ½; integers cover their range evenly", () => {
    const random = new Random(9);
    let sum = 0;
    const sides = new Map<string, number>();
    for (let i = 0; i < 60_000; i++) {
      const u = random.next();
      assert.ok(u >= 0 && u < 1);
      sum += u;
      const side = String(random.integer(1, 6));
      sides.set(side, (sides.get(side) ?? 0) + 1);
    }
    assert.ok(Math.abs(sum / 60_000 - 0.5) < 0.005);
    assert.deepEqual([...sides.keys()].sort(), ["1", "2", "3", "4", "5", "6"]);
    const fair = new Map(["1", "2", "3", "4", "5", "6"].map((s) => [s, 500_000] as [string, number]));
    assert.ok(chiSquareHomogeneity(sides, fair).pValue > 0.001);
  });

  it("the same seed, the same draws", () => {
    const a = new Random(5);
    const b = new Random(5);
    for (let i = 0; i < 100; i++) assert.equal(a.next(), b.next());
  });
});
