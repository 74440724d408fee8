import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { simulate } from "#sim";
import { fleetWithFarDrafters, smallFleet } from "./fleets.js";

describe("the policies change the outcome", () => {
  it("random pairing sends sessions to the far, slow drafters; load-aware avoids them", () => {
    const random = simulate(fleetWithFarDrafters("random"));
    const loadAware = simulate(fleetWithFarDrafters("load-aware"));
    assert.notEqual(JSON.stringify(random), JSON.stringify(loadAware));
    assert.ok(
      loadAware.tpotMs.mean < 0.9 * random.tpotMs.mean,
      `TPOT ${loadAware.tpotMs.mean} ms load-aware, ${random.tpotMs.mean} ms random`,
    );
    assert.ok(loadAware.throughput.tokensPerSecond >= random.throughput.tokensPerSecond * 0.99);
  });

  const windows: Array<{ window: number; speculative: boolean }> = [
    { window: 0, speculative: false },
    { window: 1, speculative: true },
    { window: 6, speculative: true },
  ];
  for (const { window, speculative } of windows) {
    it(`a fixed window of ${window}: ${speculative ? "speculative rounds, ≤ γ accepted each" : "no speculative round"}`, () => {
      const summary = simulate(
        smallFleet({ policies: { pairing: "least-loaded", window: { policy: "fixed", window } } }),
      );
      assert.equal(summary.requests.completed, 300);
      if (!speculative) {
        assert.equal(summary.acceptance.speculativeRounds, 0);
        assert.equal(summary.acceptance.meanAcceptedPerRound, 0);
        return;
      }
      assert.ok(summary.acceptance.speculativeRounds > 0);
      assert.ok(summary.acceptance.meanAcceptedPerRound <= window && summary.acceptance.meanAcceptedPerRound > 0);
    });
  }

  it("a longer fixed window commits more tokens per round when the target agrees often", () => {
    const at = (window: number) =>
      simulate(
        smallFleet({
          acceptance: { kind: "rate", alpha: 0.95, decay: 1 },
          policies: { pairing: "least-loaded", window: { policy: "fixed", window } },
        }),
      );
    const [short, long] = [at(1), at(6)];
    const roundsPerRequest = (s: typeof short) =>
      (s.acceptance.speculativeRounds + s.acceptance.aloneRounds) / s.requests.completed;
    assert.ok(
      roundsPerRequest(long) < 0.6 * roundsPerRequest(short),
      `${roundsPerRequest(long)} rounds per request at γ 6, ${roundsPerRequest(short)} at γ 1`,
    );
  });
});
