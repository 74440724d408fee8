import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  acceptanceFromRounds,
  bestWindow,
  expectedTokensPerRound,
  rate,
  WindowController,
  type WindowEstimates,
} from "#window";

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} ≠ ${expected}`);

describe("expectedTokensPerRound (Leviathan et al. eq. 1)", () => {
  const cases: Array<[window: number, alpha: number, expected: number]> = [
    [0, 0.5, 1],
    [1, 0, 1],
    [4, 0, 1],
    [4, 1, 5],
    [1, 0.5, 1.5],
    [2, 0.5, 1.75],
    [4, 0.8, (1 - 0.8 ** 5) / 0.2],
  ];
  for (const [window, alpha, expected] of cases) {
    it(`γ=${window}, α=${alpha} → ${expected.toFixed(4)}`, () =>
      close(expectedTokensPerRound(window, alpha), expected, "E"));
  }
  it("refuses a negative or fractional window", () => {
    assert.throws(() => expectedTokensPerRound(-1, 0.5), /whole number/);
    assert.throws(() => expectedTokensPerRound(1.5, 0.5), /whole number/);
  });
});

describe("acceptanceFromRounds", () => {
  it("counts accepted tokens against rounds cut short", () => {
    // 4 + 2 + 0 accepted; the 2nd and 3rd rounds were cut short: 6 / (6 + 2).
    assert.equal(
      acceptanceFromRounds([
        { window: 4, accepted: 4 },
        { window: 4, accepted: 2 },
        { window: 4, accepted: 0 },
      ]),
      0.75,
    );
  });
  it("is 1 when nothing was ever rejected, null with no evidence", () => {
    assert.equal(acceptanceFromRounds([{ window: 3, accepted: 3 }]), 1);
    assert.equal(acceptanceFromRounds([]), null);
    assert.equal(acceptanceFromRounds([{ window: 0, accepted: 0 }]), null);
  });
});

const estimates = (over: Partial<WindowEstimates> = {}): WindowEstimates => ({
  acceptance: 0.8,
  draftMsPerToken: 0.5,
  verifyMs: (g) => 30 + 8 * g,
  roundTripMs: 10,
  ...over,
});

describe("bestWindow", () => {
  it("matches the README example: γ = 4 at 45.4 tokens/s", () => {
    const best = bestWindow(estimates(), 8);
    assert.equal(best.window, 4);
    assert.equal(best.tokensPerSecond.toFixed(1), "45.4");
    assert.equal(rate(0, estimates()), 25);
  });
  it("goes target-only when drafts are never accepted", () => {
    assert.equal(bestWindow(estimates({ acceptance: 0 }), 8).window, 0);
  });
  it("drafts the longest window when every draft is accepted and verifying is nearly free", () => {
    assert.equal(bestWindow(estimates({ acceptance: 1, verifyMs: (g) => 30 + 0.1 * g }), 8).window, 8);
  });
  it("drafts longer windows as the network round trip grows", () => {
    const near = bestWindow(estimates({ roundTripMs: 0 }), 16).window;
    const far = bestWindow(estimates({ roundTripMs: 100 }), 16).window;
    assert.ok(far > near, `γ at 100 ms (${far}) should exceed γ at 0 ms (${near})`);
  });
  it("respects the largest window allowed", () => {
    assert.equal(bestWindow(estimates({ acceptance: 1, verifyMs: () => 30 }), 3).window, 3);
  });
});

describe("WindowController", () => {
  it("moves to a clearly better window", () => {
    const controller = new WindowController(1, 8);
    assert.equal(controller.next(estimates()), 4);
  });
  it("stays put when the best window promises less than 5% more (no oscillation)", () => {
    // At these estimates γ = 3 gives 45.07 and γ = 4 gives 45.43 tokens/s: 0.8% apart.
    const controller = new WindowController(3, 8);
    for (let i = 0; i < 10; i++) assert.equal(controller.next(estimates({ acceptance: i % 2 ? 0.79 : 0.81 })), 3);
  });
  it("falls back to target-only when acceptance collapses", () => {
    const controller = new WindowController(4, 8);
    assert.equal(controller.next(estimates({ acceptance: 0.02 })), 0);
  });
});

describe("rate with pipelined drafting", () => {
  it("hides the next window's drafting behind a fully accepted round's verify and round trip", () => {
    const e: WindowEstimates = { acceptance: 1, draftMsPerToken: 5, verifyMs: () => 30, roundTripMs: 10 };
    // γ = 4: 5 tokens a round; 20 ms drafting + 40 ms waiting, the drafting hidden when pipelined.
    close(rate(4, e), 5000 / 60, "plain");
    close(rate(4, { ...e, pipelined: true }), 5000 / 40, "pipelined");
    // Nothing is hidden when rounds are never fully accepted.
    close(rate(4, { ...e, acceptance: 0, pipelined: true }), 1000 / 60, "α = 0");
  });
});
