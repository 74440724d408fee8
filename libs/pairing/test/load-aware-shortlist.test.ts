import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { loadAware, predictPairRate, type LoadAwareTuning, type PairingContext } from "#pairing";
import { d, request, v } from "./workers.js";

/** Load-aware on fleets too large to predict every pair: the shortlist. */
describe("load-aware on a large fleet (shortlisted)", () => {
  /** A small LCG: the fleets are the same on every run. */
  const lcg = (seed: number) => () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;

  const cases: Array<{ name: string; tuning: Partial<LoadAwareTuning>; within: number }> = [
    { name: "finds a pair as good as the exhaustive search, over random fleets of 40 × 40", tuning: {}, within: 0.99 },
    {
      name: "tuned to predict every pair (exhaustivePairs above the fleet's), finds the best one",
      tuning: { exhaustivePairs: 10_000 },
      within: 1,
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      for (let trial = 0; trial < 20; trial++) {
        const random = lcg(trial + 1);
        const fleet = [
          ...Array.from({ length: 40 }, (_, i) =>
            v(`v${i}`, Math.floor(random() * 4), 4, {
              profile: {
                verifyMsByWindow: [
                  { window: 0, ms: 20 + random() * 20 },
                  { window: 4, ms: 45 + random() * 40 },
                ],
              },
            }),
          ),
          ...Array.from({ length: 40 }, (_, i) =>
            d(`d${i}`, Math.floor(random() * 4), 4, { profile: { draftMsPerToken: 0.3 + random() * 10 } }),
          ),
        ];
        const context: PairingContext = { acceptance: () => 0.9 };
        const decision = loadAware(c.tuning)(fleet, request, context);
        assert.equal(decision.kind, "pair");
        if (decision.kind !== "pair") continue;
        const rateOf = (vid: string, did: string) =>
          predictPairRate(
            { verifier: fleet.find((w) => w.id === vid)!, drafter: fleet.find((w) => w.id === did)! },
            context,
          );
        let best = 0;
        for (const verifier of fleet.filter((w) => w.role === "verifier" && w.activeSessions < 4)) {
          for (const drafter of fleet.filter((w) => w.role === "drafter" && w.activeSessions < 4))
            best = Math.max(best, rateOf(verifier.id, drafter.id));
        }
        assert.ok(
          rateOf(decision.verifierId, decision.drafterId) >= best * c.within - 1e-9,
          `trial ${trial}: ${rateOf(decision.verifierId, decision.drafterId)} vs ${best}`,
        );
      }
    });
});

describe("load-aware on a large fleet, with many drafters on low battery", () => {
  it("still finds a charged drafter when the fastest ones are all on battery", () => {
    const battery = { source: "battery" as const, level: 0.1 };
    const fleet = [
      ...Array.from({ length: 20 }, (_, i) => v(`v${i}`, 0, 4)),
      ...Array.from({ length: 12 }, (_, i) =>
        d(`fast${i}`, 0, 4, { profile: { draftMsPerToken: 0.3 }, power: battery }),
      ),
      d("slow-plugged", 0, 4, { profile: { draftMsPerToken: 5 } }),
    ];
    const decision = loadAware()(fleet, request);
    assert.equal(decision.kind === "pair" && decision.drafterId, "slow-plugged");
  });
});
