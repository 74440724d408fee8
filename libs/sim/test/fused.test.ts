import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { simConfigSchema, simulate, type SimConfigInput } from "#sim";

/**
 * Requests one at a time on one verifier that drafts for itself: a pass over n tokens costs
 * 10 + 2(n − 1) ms, a drafted token 1 ms, the target accepts every token, γ = 4. A 26-token
 * output takes five rounds of 4 + 18 ms (5 tokens each), then one of γ = 0 (10 ms) for the
 * last token: with no network in a round, TPOT = (4 · 22 + 10) / 25 ms and TTFT = 22 ms plus
 * the trip to the client (half the verifier's round trip).
 */
function fused(verifierRttMs: number, execution: "fused" | "distributed" = "fused"): SimConfigInput {
  const profile = {
    verifyMsByTokens: [
      { tokens: 1, ms: 10 },
      { tokens: 2, ms: 12 },
    ],
    prefillMsPerToken: 0,
    roundOverheadMs: 0,
  };
  const drafter = { draftMsPerToken: 1, prefillMsPerToken: 0, roundOverheadMs: 0 };
  return {
    seed: 3,
    execution,
    workload: { arrivals: { kind: "poisson", ratePerSecond: 0.01 }, requests: 20, outputTokens: 26 },
    verifiers: [
      {
        name: "box",
        count: 1,
        link: { rttMs: verifierRttMs, jitterMs: 2 },
        profile,
        ...(execution === "fused" ? { fusedDrafter: { profile: drafter } } : {}),
      },
    ],
    drafters: execution === "fused" ? [] : [{ name: "edge", count: 1, link: { rttMs: 40 }, profile: drafter }],
    acceptance: { kind: "rate", alpha: 1 },
    policies: { pairing: "least-loaded", window: { policy: "fixed", window: 4 } },
  };
}

const TPOT = (4 * 22 + 10) / 25;

describe("fused execution", () => {
  for (const rttMs of [0, 100]) {
    it(`runs every round without network time (verifier's round trip ${rttMs} ms)`, () => {
      const summary = simulate(simConfigSchema.parse(fused(rttMs)));
      assert.equal(summary.requests.completed, 20);
      assert.equal(summary.acceptance.speculativeRounds, 20 * 5);
      assert.ok(
        Math.abs(summary.tpotMs.p50 - TPOT) < 1e-3 && Math.abs(summary.tpotMs.p99 - TPOT) < 1e-3,
        JSON.stringify(summary.tpotMs),
      );
      assert.ok(Math.abs(summary.ttftMs.p50 - (22 + rttMs / 2)) < 1e-3, JSON.stringify(summary.ttftMs));
      assert.equal(summary.drafters.count, 0, "no edge drafters in a fused fleet");
    });
  }

  it("the same rounds through a drafter 40 ms from the broker pay its trips", () => {
    const distributed = simulate(simConfigSchema.parse(fused(0, "distributed")));
    assert.equal(distributed.acceptance.speculativeRounds, 20 * 5);
    // Each round crosses the broker twice: out and back, about 40 ms more per round.
    assert.ok(distributed.tpotMs.p50 > TPOT + (4 * 40) / 25 - 1, JSON.stringify(distributed.tpotMs));
  });
});
