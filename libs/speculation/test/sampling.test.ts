import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chiSquareHomogeneity, countOutcomes, totalVariation } from "#stats";
import { Draw, drawOutside, uniformFor, verifySampled, type Distribution, type TargetPosition } from "#speculation";

// A toy language of 6 tokens in which the next token depends on the previous one. The drafter
// (q) is a distorted copy of the target (p) and never proposes token 5.
const VOCABULARY = 6;
function target(previous: number): Distribution {
  const weights = [6, 4, 3, 2, 1, 1].map((w, t) => w + ((t + previous) % 3));
  return normalise(weights);
}
function drafter(previous: number): Distribution {
  const weights = [2, 6, 1, 4, 3, 0].map((w, t) => w + ((t * previous) % 2));
  return normalise(weights);
}
function normalise(weights: number[]): Distribution {
  const total = weights.reduce((s, w) => s + w, 0);
  return new Map(weights.map((w, t) => [t, w / total] as [number, number]).filter(([, p]) => p > 0));
}
function draw(distribution: Distribution, u: number): number {
  let v = u;
  let last = -1;
  for (const [token, p] of distribution) {
    last = token;
    if (v < p) return token;
    v -= p;
  }
  return last;
}

/** What a target pass reports: all of p, or only the drafter's support and p's top token. */
function report(p: Distribution, q: Distribution | undefined, partial: boolean): Distribution {
  if (!partial) return p;
  const top = [...p].sort((a, b) => b[1] - a[1])[0]!;
  const known = new Map<number, number>([top]);
  for (const token of q?.keys() ?? []) known.set(token, p.get(token) ?? 0);
  return known;
}

/** Generates `length` tokens after token 0 by speculative rounds of `window`, as the fleet does. */
function speculate(
  seed: number,
  length: number,
  window: number,
  partial: boolean,
): { tokens: number[]; accepted: number; drafted: number; tails: number } {
  const tokens = [0];
  let accepted = 0;
  let drafted = 0;
  let tails = 0;
  while (tokens.length - 1 < length) {
    const position = tokens.length;
    const drafts = [];
    for (let i = 0; i < window; i++) {
      const q = drafter(drafts.at(-1)?.token ?? tokens.at(-1)!);
      drafts.push({ token: draw(q, uniformFor(seed, position + i, Draw.draft)), q });
    }
    const targets: TargetPosition[] = [];
    for (let i = 0; i <= window; i++) {
      const p = target(i === 0 ? tokens.at(-1)! : drafts[i - 1]!.token);
      targets.push({
        known: report(p, drafts[i]?.q, partial),
        sample: draw(p, uniformFor(seed, position + i, Draw.target)),
      });
    }
    const verdict = verifySampled(drafts, targets, seed, position);
    accepted += verdict.accepted;
    drafted += window;
    if (verdict.needsTail) {
      tails++;
      const at = verdict.accepted;
      const full = target(at === 0 ? tokens.at(-1)! : drafts[at - 1]!.token);
      verdict.tokens.push(drawOutside(full, targets[at]!.known, uniformFor(seed, position + at, Draw.tail)));
    }
    tokens.push(...verdict.tokens);
  }
  return { tokens: tokens.slice(1, length + 1), accepted, drafted, tails };
}

function alone(seed: number, length: number, model: (previous: number) => Distribution): number[] {
  const tokens = [0];
  for (let i = 0; i < length; i++)
    tokens.push(draw(model(tokens.at(-1)!), uniformFor(seed, tokens.length, Draw.target)));
  return tokens.slice(1);
}

const SAMPLES = 6000;
function continuations(generate: (seed: number) => number[], seedBase: number): Map<string, number> {
  const outcomes: string[] = [];
  for (let s = 0; s < SAMPLES; s++) outcomes.push(generate(seedBase + s).join(" "));
  return countOutcomes(outcomes);
}

describe("verifySampled", () => {
  const targetOnly = continuations((seed) => alone(seed, 3, target), 1_000_000);
  const drafterOnly = continuations((seed) => alone(seed, 3, drafter), 2_000_000);

  for (const [window, partial] of [
    [1, false],
    [3, false],
    [3, true],
    [5, true],
  ] as const) {
    it(`reproduces the target's distribution of 3-token continuations (γ = ${window}, ${partial ? "partial" : "full"} target report)`, () => {
      let tails = 0;
      const speculative = continuations((seed) => {
        const result = speculate(seed, 3, window, partial);
        tails += result.tails;
        return result.tokens;
      }, 0);
      const same = chiSquareHomogeneity(speculative, targetOnly);
      assert.ok(
        same.pValue > 0.001,
        `speculative vs target-only: χ² = ${same.statistic.toFixed(1)}, df = ${same.degreesOfFreedom}, p = ${same.pValue}`,
      );
      const differs = chiSquareHomogeneity(speculative, drafterOnly);
      assert.ok(differs.pValue < 1e-9, `speculative vs drafter-only: p = ${differs.pValue}`);
      assert.ok(totalVariation(speculative, targetOnly) < totalVariation(speculative, drafterOnly) / 3);
      if (partial) assert.ok(tails > 0, "the partial report should send some residual draws to the tail");
    });
  }

  it("accepts at the rate Σ min(p, q) (Leviathan et al., §3.3)", () => {
    const p = target(0);
    const q = drafter(0);
    let expected = 0;
    for (let t = 0; t < VOCABULARY; t++) expected += Math.min(p.get(t) ?? 0, q.get(t) ?? 0);
    let accepted = 0;
    const trials = 20_000;
    for (let seed = 0; seed < trials; seed++) {
      const token = draw(q, uniformFor(seed, 1, Draw.draft));
      const verdict = verifySampled(
        [{ token, q }],
        [
          { known: p, sample: draw(p, uniformFor(seed, 1, Draw.target)) },
          { known: p, sample: 0 },
        ],
        seed,
        1,
      );
      accepted += verdict.accepted;
    }
    assert.ok(Math.abs(accepted / trials - expected) < 0.015, `${accepted / trials} vs ${expected}`);
  });

  it("is a pure function of the seed and the position", () => {
    for (let seed = 0; seed < 50; seed++) assert.deepEqual(speculate(seed, 12, 4, true), speculate(seed, 12, 4, true));
    const outputs = new Set(Array.from({ length: 50 }, (_, seed) => speculate(seed, 12, 4, false).tokens.join(" ")));
    assert.ok(outputs.size > 40, "different seeds should give different continuations");
  });

  it("takes every draft when p equals q, and the bonus from the target's draw", () => {
    const p = target(1);
    const verdict = verifySampled(
      [
        { token: 2, q: p },
        { token: 0, q: p },
      ],
      [
        { known: p, sample: 9 },
        { known: p, sample: 9 },
        { known: p, sample: 4 },
      ],
      7,
      10,
    );
    assert.deepEqual(verdict, { accepted: 2, tokens: [2, 0, 4], needsTail: false });
  });

  it("never accepts a token the target's truncation removed", () => {
    const q = new Map([[3, 1]]);
    const p = new Map([
      [3, 0],
      [1, 0.5],
      [2, 0.5],
    ]);
    for (let seed = 0; seed < 200; seed++) {
      const verdict = verifySampled(
        [{ token: 3, q }],
        [
          { known: p, sample: 1 },
          { known: p, sample: 1 },
        ],
        seed,
        0,
      );
      assert.equal(verdict.accepted, 0);
      assert.ok(verdict.tokens[0] === 1 || verdict.tokens[0] === 2);
    }
  });

  it("refuses a draft token the drafter gave no probability", () => {
    assert.throws(
      () =>
        verifySampled(
          [{ token: 1, q: new Map([[0, 1]]) }],
          [
            { known: target(0), sample: 0 },
            { known: target(0), sample: 0 },
          ],
          1,
          0,
        ),
      /no probability/,
    );
  });
});

describe("drawOutside", () => {
  it("draws from the distribution restricted to unseen tokens", () => {
    const full = new Map([
      [0, 0.5],
      [1, 0.3],
      [2, 0.2],
    ]);
    const known = new Map([[0, 0.5]]);
    assert.equal(drawOutside(full, known, 0.1), 1);
    assert.equal(drawOutside(full, known, 0.7), 2);
    assert.throws(() => drawOutside(full, full, 0.5), /no mass/);
  });
});
