import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { adaptiveWindow, bestWindow, fixedWindow, rate, RoundEstimator, type WindowEstimates } from "#window";

describe("RoundEstimator", () => {
  it("estimates acceptance, draft speed and network share from rounds", () => {
    const estimator = new RoundEstimator(1); // no decay: plain averages
    estimator.observe({ window: 4, accepted: 4, draftMs: 2, verifyMs: 60, networkMs: 10 });
    estimator.observe({ window: 4, accepted: 1, draftMs: 2, verifyMs: 60, networkMs: 20 });
    const e = estimator.estimates()!;
    assert.equal(e.acceptance, 5 / 6); // 5 accepted, 1 round cut short
    assert.equal(e.draftMsPerToken, 0.5);
    assert.equal(e.roundTripMs, 15);
  });

  it("fits the verify cost as a line once two windows were seen", () => {
    const estimator = new RoundEstimator(1);
    for (const window of [2, 6, 2, 6])
      estimator.observe({ window, accepted: 0, draftMs: 0, verifyMs: 30 + 8 * window, networkMs: 0 });
    const e = estimator.estimates()!;
    assert.ok(Math.abs(e.verifyMs(0) - 30) < 1e-9);
    assert.ok(Math.abs(e.verifyMs(10) - 110) < 1e-9);
  });

  it("assumes 15% of a pass per extra token while only one window was seen", () => {
    const estimator = new RoundEstimator(1);
    estimator.observe({ window: 4, accepted: 4, draftMs: 0, verifyMs: 64, networkMs: 0 });
    const e = estimator.estimates()!;
    assert.ok(Math.abs(e.verifyMs(4) - 64) < 1e-9, "reproduces what it saw");
    assert.ok(Math.abs(e.verifyMs(0) - 40) < 1e-9, "64 / (1 + 0.15·4)");
  });

  it("models the verify cost in the decode's tokens, so a grown batch raises every window's cost", () => {
    const estimator = new RoundEstimator(1);
    estimator.observe({ window: 2, accepted: 0, draftMs: 0, verifyMs: 30, networkMs: 0, batchTokens: 3 });
    estimator.observe({ window: 6, accepted: 0, draftMs: 0, verifyMs: 46, networkMs: 0, batchTokens: 7 });
    // Alone so far: cost = 18 + 4 · (γ + 1).
    assert.ok(Math.abs(estimator.estimates()!.verifyMs(4) - 38) < 1e-9);
    // Another session's 10 tokens join a decode: on the same line, 18 + 4 · 13 = 70.
    estimator.observe({ window: 2, accepted: 0, draftMs: 0, verifyMs: 70, networkMs: 0, batchTokens: 13 });
    const e = estimator.estimates()!;
    const others = 10 / 3; // the recent mean of other sessions' tokens
    assert.ok(Math.abs(e.verifyMs(2) - (18 + 4 * (3 + others))) < 1e-9, String(e.verifyMs(2)));
    assert.ok(Math.abs(e.verifyMs(4) - (18 + 4 * (5 + others))) < 1e-9, String(e.verifyMs(4)));
  });

  it("starts from the verifier's profile, so an untried window is not guessed", () => {
    const estimator = new RoundEstimator();
    estimator.prime([
      { window: 0, ms: 27 },
      { window: 1, ms: 45 },
      { window: 4, ms: 58 },
      { window: 8, ms: 97 },
    ]);
    estimator.observe({ window: 4, accepted: 4, draftMs: 2, verifyMs: 58, networkMs: 10 });
    const e = estimator.estimates()!;
    // Untried windows: the line through the profile and the rounds (about 8 ms a token), not the 15% prior.
    assert.ok(e.verifyMs(8) > 85 && e.verifyMs(8) < 105, String(e.verifyMs(8)));
    assert.ok(e.verifyMs(6) > 70 && e.verifyMs(6) < 90, String(e.verifyMs(6)));
  });

  it("a window never tried follows the rounds' real costs, not the profile's", () => {
    // Profiled alone at 25 + 0.6 ms a token; the fleet's batches cost 20 ms more (prefills, other work).
    const estimator = new RoundEstimator(1);
    estimator.prime([0, 1, 2, 4, 8].map((window) => ({ window, ms: 25 + 0.6 * (window + 1) })));
    for (let i = 0; i < 20; i++)
      estimator.observe({ window: 4, accepted: 2, draftMs: 8, verifyMs: 48, networkMs: 1, batchTokens: 5 });
    assert.ok(
      estimator.estimates()!.verifyMs(0) > 30,
      `γ = 0 never tried: ${estimator.estimates()!.verifyMs(0)} ms, not the profile's 25.6`,
    );
  });

  it("has no estimates before the first round", () => {
    assert.equal(new RoundEstimator().estimates(), null);
  });
});

/** A deterministic pair: acceptance α, verify 30 + 8γ ms, drafts 0.5 ms/token, RTT `rtt`. */
function simulate(
  policy: ReturnType<typeof adaptiveWindow>,
  alpha: number,
  rtt: number,
  rounds: number,
  verifyMs = (g: number) => 30 + 8 * g,
): number[] {
  let seed = 7;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const windows: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const window = policy.next();
    windows.push(window);
    let accepted = 0;
    while (accepted < window && random() < alpha) accepted++;
    policy.observe({ window, accepted, draftMs: 0.5 * window, verifyMs: verifyMs(window), networkMs: rtt });
  }
  return windows;
}

const truth = (alpha: number, rtt: number): WindowEstimates => ({
  acceptance: alpha,
  draftMsPerToken: 0.5,
  verifyMs: (g) => 30 + 8 * g,
  roundTripMs: rtt,
});

describe("adaptiveWindow", () => {
  for (const [alpha, rtt] of [
    [0.8, 10],
    [0.9, 50],
    [0.5, 0],
  ] as const) {
    it(`settles near the best window for α=${alpha}, RTT ${rtt} ms and stays there`, () => {
      const windows = simulate(adaptiveWindow(4, 12), alpha, rtt, 300);
      const best = bestWindow(truth(alpha, rtt), 12);
      const tail = windows.slice(-100);
      // Near the optimum the rate is flat: judge the windows by the throughput they give.
      for (const w of tail) {
        const achieved = rate(w, truth(alpha, rtt));
        assert.ok(
          achieved >= 0.95 * best.tokensPerSecond,
          `γ ${w} gives ${achieved.toFixed(1)} tokens/s, the best (γ ${best.window}) ${best.tokensPerSecond.toFixed(1)}`,
        );
      }
      const switches = tail.filter((w, i) => i > 0 && w !== tail[i - 1]).length;
      assert.ok(switches <= 6, `${switches} switches in 100 rounds: oscillating`);
    });
  }

  it("learns a verify cost that is not linear in the window (as measured on this CPU)", () => {
    // One token 27 ms, then a jump: 2 tokens 45 ms, 5 tokens 58 ms, 9 tokens 97 ms.
    const cost = (g: number) => (g === 0 ? 27 : 40 + 5 * g + (g > 4 ? 5 * (g - 4) : 0));
    const windows = simulate(adaptiveWindow(4, 12), 0.7, 0, 400, cost);
    const truthHere: WindowEstimates = { acceptance: 0.7, draftMsPerToken: 0.5, verifyMs: cost, roundTripMs: 0 };
    const best = bestWindow(truthHere, 12);
    for (const w of windows.slice(-100)) {
      assert.ok(
        rate(w, truthHere) >= 0.95 * best.tokensPerSecond,
        `γ ${w} (${rate(w, truthHere).toFixed(1)}/s) vs best γ ${best.window} (${best.tokensPerSecond.toFixed(1)}/s)`,
      );
    }
  });

  it("stops drafting when nothing is accepted, and keeps probing", () => {
    const windows = simulate(adaptiveWindow(4, 12), 0, 0, 200);
    const tail = windows.slice(-100);
    assert.ok(tail.filter((w) => w === 0).length >= 90, "mostly target-only");
    assert.ok(
      tail.some((w) => w === 1),
      "an occasional probe",
    );
  });

  it("fixedWindow never moves", () => {
    assert.deepEqual(simulate(fixedWindow(3), 0.9, 0, 5), [3, 3, 3, 3, 3]);
  });
});

describe("handing a session back", () => {
  it("gives the session back when the verifier alone beats every window (a slow link, poor drafts)", () => {
    const policy = adaptiveWindow(4, 12);
    simulate(policy, 0.3, 50, 30);
    assert.equal(policy.handBack(), true);
  });

  it("keeps speculating while it pays", () => {
    const policy = adaptiveWindow(4, 12);
    simulate(policy, 0.9, 10, 30);
    assert.equal(policy.handBack(), false);
  });

  it("a fixed window never hands back", () => {
    const policy = fixedWindow(4);
    simulate(policy, 0, 100, 10);
    assert.equal(policy.handBack(), false);
  });
});
