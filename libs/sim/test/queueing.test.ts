import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { simConfigSchema, simulate } from "#sim";
import { proportional } from "./fleets.js";

/**
 * One verifier, no drafters, a pass costing 10 ms per token (so a batch of n sessions costs
 * what n passes alone would: processor sharing), 20-token outputs, Poisson arrivals. Each
 * request brings S = 200 ms of work; at load ρ = λ·S, M/G/1 processor sharing gives every job
 * a mean slowdown of 1 / (1 − ρ) (Kleinrock 1976, "Queueing Systems" vol. 2, §4.4), so the
 * time per output token is about 10 / (1 − ρ) ms, and 10 ms exactly for a request alone.
 */
const PER_TOKEN_MS = 10;
const OUTPUT = 20;

function alone(ratePerSecond: number, requests: number) {
  return simConfigSchema.parse({
    seed: 11,
    workload: { arrivals: { kind: "poisson", ratePerSecond }, requests, promptTokens: [16, 64], outputTokens: OUTPUT },
    verifiers: [{ name: "solo", count: 1, maxSessions: 64, profile: proportional(PER_TOKEN_MS) }],
  });
}

describe("one verifier alone against queueing theory", () => {
  const cases = [
    { ratePerSecond: 0.1, requests: 5000 },
    { ratePerSecond: 1, requests: 5000 },
    { ratePerSecond: 2.5, requests: 5000 },
  ];
  for (const { ratePerSecond, requests } of cases) {
    const rho = (ratePerSecond * OUTPUT * PER_TOKEN_MS) / 1000;
    it(`λ = ${ratePerSecond}/s (ρ = ${rho}): throughput λ·output, utilisation ρ, TPOT ≈ ${PER_TOKEN_MS} / (1 − ρ)`, () => {
      const summary = simulate(alone(ratePerSecond, requests));
      assert.equal(summary.requests.completed, requests);
      assert.equal(summary.acceptance.speculativeRounds, 0);
      const within = (actual: number, expected: number, relative: number, what: string) =>
        assert.ok(
          Math.abs(actual - expected) <= relative * expected,
          `${what}: ${actual}, expected ${expected} ± ${relative * 100}%`,
        );
      within(summary.throughput.requestsPerSecond, ratePerSecond, 0.05, "requests/s");
      within(summary.throughput.tokensPerSecond, ratePerSecond * OUTPUT, 0.05, "tokens/s");
      within(summary.verifiers[0]!.utilisation, rho, 0.06, "utilisation");
      within(summary.tpotMs.mean, PER_TOKEN_MS / (1 - rho), 0.06, "mean TPOT");
      // A request's whole stay: its first token, then the other 19.
      within(
        summary.ttftMs.mean + (OUTPUT - 1) * summary.tpotMs.mean,
        (OUTPUT * PER_TOKEN_MS) / (1 - rho),
        0.05,
        "mean time in the system",
      );
      // Nothing queues for placement: a verifier of 64 slots takes every request at once.
      assert.equal(summary.queueWaitMs.p99, 0);
    });
  }

  it("a request alone gets the single-token cost per token, its first token after one pass", () => {
    const summary = simulate(alone(0.01, 200));
    assert.equal(summary.tpotMs.p50, PER_TOKEN_MS);
    assert.equal(summary.ttftMs.p50, PER_TOKEN_MS);
  });
});
