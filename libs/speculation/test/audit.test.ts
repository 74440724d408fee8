import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  compareQ,
  DEFAULT_DRAW_DETECTOR,
  distributionProblem,
  draftAs,
  DrawDetector,
  drawPValue,
  isForged,
  randomDistribution,
  seededRandom,
  type DrafterKind,
} from "#speculation";

const { kappa, logThreshold } = DEFAULT_DRAW_DETECTOR;

/** Draws until the detector alarms (or `limit`); the number of draws it took. */
function drawsToAlarm(kind: DrafterKind, seed: number, limit: number, support?: number, exponent?: () => number) {
  const random = seededRandom(seed);
  const detector = new DrawDetector();
  for (let n = 1; n <= limit; n++) {
    const q = randomDistribution(exponent ?? random, support ?? 64);
    const sent = draftAs(kind, q, random());
    if (detector.observe(drawPValue(sent.q, sent.token, random()))) return n;
  }
  return Infinity;
}

describe("the draw check's p-value", () => {
  const q = new Map([
    [10, 0.5],
    [11, 0.2],
    [12, 0.2],
    [13, 0.1],
  ]);
  const cases: Array<{ name: string; token: number; v: number; expected: number }> = [
    { name: "the least likely token, v = 0", token: 13, v: 0, expected: 0 },
    { name: "the least likely token, v = 1", token: 13, v: 1, expected: 0.1 },
    { name: "a tied token, halfway through the tie", token: 11, v: 0.5, expected: 0.1 + 0.2 },
    { name: "the mode, v = 1", token: 10, v: 1, expected: 1 },
    { name: "the mode, v = 0", token: 10, v: 0, expected: 0.5 },
  ];
  for (const c of cases)
    it(c.name, () => assert.ok(Math.abs(drawPValue(q, c.token, c.v) - c.expected) < 1e-12, String(c.expected)));

  it("is uniform for honest draws from many random q, ties and truncation included", () => {
    const random = seededRandom(7);
    const n = 100_000;
    const us: number[] = [];
    for (let i = 0; i < n; i++) {
      const q = randomDistribution(random);
      const sent = draftAs("honest", q, random());
      us.push(drawPValue(sent.q, sent.token, random()));
    }
    us.sort((a, b) => a - b);
    let ks = 0;
    for (let i = 0; i < n; i++) ks = Math.max(ks, Math.abs(us[i]! - i / n), Math.abs(us[i]! - (i + 1) / n));
    // Kolmogorov–Smirnov at α = 0.001: 1.95 / √n.
    assert.ok(ks < 1.95 / Math.sqrt(n), `KS distance ${ks}`);
  });
});

describe("what is structurally wrong with a q", () => {
  const table: Array<{ q: Array<[number, number]>; token: number; problem: RegExp | null }> = [
    {
      q: [
        [1, 0.75],
        [2, 0.25],
      ],
      token: 1,
      problem: null,
    },
    {
      q: [
        [1, 0.7500001],
        [2, 0.25],
      ],
      token: 2,
      problem: null,
    },
    {
      q: [
        [1, 1e-300],
        [2, 0.5],
      ],
      token: 1,
      problem: /sums to 0.5/,
    },
    {
      q: [
        [1, 0.5],
        [2, 0.5],
      ],
      token: 3,
      problem: /no probability/,
    },
  ];
  for (const c of table)
    it(`${JSON.stringify(c.q)} drafting ${c.token}`, () => {
      const problem = distributionProblem(new Map(c.q), c.token);
      if (c.problem === null) assert.equal(problem, null);
      else assert.match(problem ?? "", c.problem);
    });
});

describe("the draw detector", () => {
  it("never alarms on honest drafters: 100,000 rounds of 4 tokens, random q", () => {
    const random = seededRandom(2024);
    const detector = new DrawDetector();
    for (let i = 0; i < 400_000; i++) {
      const q = randomDistribution(random);
      const sent = draftAs("honest", q, random());
      assert.equal(detector.observe(drawPValue(sent.q, sent.token, random())), false, `alarm at draw ${i}`);
    }
    const e = detector.evidence();
    // Far below the threshold: the bound 2N/A = 8e-9 for this many draws.
    assert.ok(e.logLow < logThreshold / 2 && e.logHigh < logThreshold / 2, JSON.stringify(e));
  });

  it("catches a forged q(x) = 1e-300 at its first draft", () => {
    // u ≤ 64·1e-300 and one e-value reaches A once u ≤ (κ/A)^(1/(1−κ)) = 2.5e-29.
    for (let seed = 1; seed <= 200; seed++) assert.equal(drawsToAlarm("forged-q", seed, 10), 1);
  });

  it("catches a drafter of q's least likely token within 27 drafts", () => {
    // That token is tied with the one before it, so its u ≤ 2·q_min; q_min is largest at the
    // flattest q (exponent 0.3): 0.0113. Every draw then adds ≥ ln κ + (1−κ)·ln(1/(2·q_min))
    // = 1.21 to ln R, which reaches ln A = 32.24 within ⌈32.24 / 1.21⌉ = 27 draws, surely.
    const qMin = Math.min(...randomDistribution(() => 0, 64).values());
    const bound = Math.ceil(logThreshold / (Math.log(kappa) + (1 - kappa) * -Math.log(2 * qMin)));
    assert.equal(bound, 27);
    for (let seed = 1; seed <= 200; seed++)
      assert.ok(drawsToAlarm("chosen-token", seed, 1000) <= bound, `seed ${seed}`);
  });

  it("catches a drafter of q's mode within 150 drafts (q_max ≈ 0.21)", () => {
    // Exponent 1: 1 − u = q_max·(1 − v), so ln e_high = ln κ + (1−κ)(ln(1/q_max) + E), E ~ Exp(1).
    // After n draws ln R ≥ n(ln κ + (1−κ) ln(1/q_max)) + (1−κ)·Gamma(n, 1); with n = 150 it
    // misses ln A only if Gamma(150, 1) < 39, which has probability < 1e-30.
    const one = () => (1 - 0.3) / 1.7;
    const qMax = Math.max(...randomDistribution(one, 64).values());
    assert.ok(qMax > 0.2 && qMax < 0.22, String(qMax));
    for (let seed = 1; seed <= 200; seed++) assert.ok(drawsToAlarm("mode", seed, 1000, 64, one) <= 150, `seed ${seed}`);
  });

  it("rejects κ outside (0, 1)", () => {
    assert.throws(() => new DrawDetector({ kappa: 1, logThreshold: 10 }), /κ/);
  });
});

describe("the re-computation audit's comparison", () => {
  const truth = new Map([
    [1, 0.6],
    [2, 0.3],
    [3, 0.1],
  ]);
  const table: Array<{ name: string; sent: Array<[number, number]>; token: number; forged: boolean }> = [
    {
      name: "the same q",
      sent: [
        [1, 0.6],
        [2, 0.3],
        [3, 0.1],
      ],
      token: 3,
      forged: false,
    },
    {
      name: "float noise",
      sent: [
        [1, 0.6000004],
        [2, 0.2999997],
        [3, 0.0999999],
      ],
      token: 3,
      forged: false,
    },
    {
      name: "q(x) forged to 1e-300",
      sent: [
        [1, 0.6],
        [2, 0.4],
        [3, 1e-300],
      ],
      token: 3,
      forged: true,
    },
    {
      name: "mass moved to another token",
      sent: [
        [1, 0.3],
        [2, 0.6],
        [3, 0.1],
      ],
      token: 1,
      forged: true,
    },
    {
      name: "a support token dropped",
      sent: [
        [1, 0.6667],
        [2, 0.3333],
      ],
      token: 1,
      forged: true,
    },
  ];
  for (const c of table) it(c.name, () => assert.equal(isForged(compareQ(new Map(c.sent), truth, c.token)), c.forged));

  it("measures total variation over both supports", () => {
    const c = compareQ(new Map([[1, 1]]), truth, 1);
    assert.ok(Math.abs(c.totalVariation - 0.4) < 1e-12);
    assert.ok(Math.abs(c.logRatioAtToken - Math.log(1 / 0.6)) < 1e-12);
  });
});
