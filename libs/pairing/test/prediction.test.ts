import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  PAIRING_TUNING_DEFAULTS,
  pairRoundTripMs,
  predictPairRate,
  verifyCostLine,
  type PairingContext,
  type WorkerView,
} from "#pairing";
import { bestWindow } from "#window";
import { d, v } from "./workers.js";

/** The prediction as first written: `bestWindow` over the pair's estimates (the fast path must agree to the bit). */
function reference(pair: { verifier: WorkerView; drafter: WorkerView }, context: PairingContext): number {
  const { verifier, drafter } = pair;
  const options = PAIRING_TUNING_DEFAULTS.loadAware;
  const acceptance = context.acceptance?.(drafter.modelName, verifier.modelName) ?? options.priorAcceptance;
  const { a, b } = verifyCostLine(verifier);
  const sharing = 1 + verifier.activeSessions;
  return bestWindow(
    {
      acceptance,
      draftMsPerToken: (drafter.profile?.draftMsPerToken ?? 1) * (1 + drafter.activeSessions),
      roundTripMs:
        pairRoundTripMs(pair, context, options) +
        options.roundOverheadMs * (1 + verifier.activeSessions + drafter.activeSessions),
      verifyMs: (window) => a + b * sharing * (window + 1),
      pipelined: drafter.drafting?.pipelined ?? false,
    },
    Math.min(options.maxWindow, drafter.drafting?.maxWindow ?? options.maxWindow),
  ).tokensPerSecond;
}

describe("predictPairRate", () => {
  it("equals bestWindow over the pair's estimates exactly, for a thousand pairs in a row", () => {
    let seed = 12345;
    const u = () => ((seed = (Math.imul(seed, 1103515245) + 12345) | 0) >>> 0) / 2 ** 32;
    const profiles = [
      undefined,
      {
        verifyMsByWindow: [
          { window: 0, ms: 27 },
          { window: 4, ms: 59 },
          { window: 8, ms: 91 },
        ],
      },
      { verifyMsByWindow: [{ window: 0, ms: 30 }] },
    ];
    for (let i = 0; i < 1000; i++) {
      const verifier = v(`v${i}`, Math.floor(u() * 4), 8, {
        profile: profiles[i % 3],
        brokerRttMs: u() < 0.8 ? u() * 20 : undefined,
      });
      // Repeated drafters alike (what the fast path remembers) and changing ones.
      const same = i % 4 !== 0;
      const drafter = d(`d${i}`, same ? 0 : Math.floor(u() * 3), 4, {
        profile: { draftMsPerToken: same ? 3 : 1 + u() * 10 },
        brokerRttMs: same ? 10 : u() * 100,
        drafting: { windowPolicy: "adaptive", window: 4, maxWindow: i % 5 === 0 ? 6 : 12, pipelined: i % 7 === 0 },
      });
      const alpha = i % 3 === 0 ? 0.8 : u();
      const context: PairingContext = {
        acceptance: () => (i % 11 === 0 ? undefined : alpha),
        roundTripMs: () => (i % 6 === 0 ? u() * 50 : undefined),
      };
      // The same draws for both: the context's round trip is drawn once per call.
      const saved = seed;
      const fast = predictPairRate({ verifier, drafter }, context);
      seed = saved;
      assert.equal(fast, reference({ verifier, drafter }, context), `pair ${i}`);
    }
  });
});
