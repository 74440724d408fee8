import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  loadAware,
  PAIRING_TUNING_DEFAULTS,
  predictPairRate,
  verifyCostLine,
  type PairingContext,
  type PairingDecision,
  type WorkerView,
} from "#pairing";
import { d, pair, request, v } from "./workers.js";

/** Load-aware: which pair it picks, and the rate it predicts for one. */
describe("load-aware", () => {
  const fast = { draftMsPerToken: 1 };
  const slow = { draftMsPerToken: 20 };
  const medium = { draftMsPerToken: 8 };
  const agreeing: PairingContext = { acceptance: () => 0.9 };
  const verifierProfile = {
    verifyMsByWindow: [
      { window: 0, ms: 30 },
      { window: 4, ms: 50 },
    ],
  };
  const policy = loadAware();
  const cases: Array<{ name: string; fleet: WorkerView[]; context?: PairingContext; expected: PairingDecision }> = [
    {
      name: "a slowed drafter loses to a fast one",
      fleet: [
        v("v1", 0, 4, { profile: verifierProfile }),
        d("d1", 0, 4, { profile: slow }),
        d("d2", 0, 4, { profile: fast }),
      ],
      expected: pair("v1", "d2"),
    },
    {
      name: "an overloaded verifier loses to an idle one",
      fleet: [
        v("v1", 3, 4, { profile: verifierProfile }),
        v("v2", 0, 4, { profile: verifierProfile }),
        d("d1", 0, 4, { profile: fast }),
      ],
      expected: pair("v2", "d1"),
    },
    {
      name: "a distant pair loses to a near one",
      fleet: [v("v1", 0, 4), v("v2", 0, 4), d("d1", 0, 4)],
      context: { roundTripMs: (_d, verifier) => (verifier === "v1" ? 80 : 5) },
      expected: pair("v2", "d1"),
    },
    {
      name: "a drafter model that agrees with the target wins",
      fleet: [v("v1", 0, 4), d("d1", 0, 4, { modelName: "q2" }), d("d2", 0, 4, { modelName: "q8" })],
      context: { acceptance: (drafterModel) => (drafterModel === "q8" ? 0.95 : 0.3) },
      expected: pair("v1", "d2"),
    },
    {
      name: "a drafter on low battery is left aside",
      fleet: [
        v("v1", 0, 4),
        d("d1", 0, 4, { profile: fast, power: { source: "battery", level: 0.1 } }),
        d("d2", 0, 4, { profile: medium, power: { source: "plugged", level: null } }),
      ],
      context: agreeing,
      expected: pair("v1", "d2"),
    },
    {
      name: "…unless it is the only one free",
      fleet: [v("v1", 0, 4), d("d1", 0, 4, { power: { source: "battery", level: 0.1 } }), d("d2", 4, 4)],
      expected: pair("v1", "d1"),
    },
    {
      name: "a charged battery is no reason to avoid a drafter",
      fleet: [
        v("v1", 0, 4),
        d("d1", 0, 4, { profile: fast, power: { source: "battery", level: 0.9 } }),
        d("d2", 0, 4, { profile: slow }),
      ],
      expected: pair("v1", "d1"),
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(policy(c.fleet, request, c.context), c.expected));

  it("tuned: with lowBattery 0, a drafter on battery is no longer left aside", () => {
    const fleet = [
      v("v1", 0, 4),
      d("d1", 0, 4, { profile: fast, power: { source: "battery", level: 0.1 } }),
      d("d2", 0, 4, { profile: medium }),
    ];
    assert.deepEqual(loadAware({ lowBattery: 0 })(fleet, request, agreeing), pair("v1", "d1"));
  });

  it("tuned: the prior acceptance and the default round trip enter the prediction", () => {
    // γ = 0 at a fixed window: one token per 25 + 5 ms pass, the round trip and 1 ms of per-process work.
    const fixed = { windowPolicy: "fixed" as const, window: 0, maxWindow: 0, pipelined: false };
    const pairOf = { verifier: v("v1", 0, 4), drafter: d("d1", 0, 4, { drafting: fixed }) };
    const tuned = { ...PAIRING_TUNING_DEFAULTS.loadAware, defaultRoundTripMs: 20, roundOverheadMs: 4 };
    assert.ok(Math.abs(predictPairRate(pairOf, {}, tuned) - 1000 / (30 + 20 + 4)) < 1e-9);
    const window2 = { ...fixed, window: 2, maxWindow: 2 };
    const withPrior = (priorAcceptance: number) =>
      predictPairRate(
        { ...pairOf, drafter: d("d1", 0, 4, { drafting: window2 }) },
        {},
        { ...PAIRING_TUNING_DEFAULTS.loadAware, priorAcceptance },
      );
    assert.ok(withPrior(0.9) > withPrior(0.6));
  });

  it("predicts the Leviathan rate of the best window", () => {
    // α = 0.6 (prior), draft 1 ms, verify 25 + 5·(γ+1), RTT 5 + 1 ms of the round's own
    // per-process work: γ = 2 gives 1.96 tokens in 48 ms.
    const rate = predictPairRate({ verifier: v("v1", 0, 4), drafter: d("d1", 0, 4, { profile: fast }) });
    const perWindow = [0, 1, 2, 3, 4].map(
      (g) => ((1 - 0.6 ** (g + 1)) / 0.4 / (g * 1 + 25 + 5 * (g + 1) + 5 + 1)) * 1000,
    );
    assert.ok(Math.abs(rate - Math.max(...perWindow)) < 1e-9, `${rate} vs ${Math.max(...perWindow)}`);
  });

  it("predicts a fixed-window drafter at its window, not at the best one", () => {
    const fixed = d("d1", 0, 4, {
      profile: fast,
      drafting: { windowPolicy: "fixed", window: 1, maxWindow: 12, pipelined: false },
    });
    const rate = predictPairRate({ verifier: v("v1", 0, 4), drafter: fixed });
    assert.ok(Math.abs(rate - (1.6 / (1 + 25 + 10 + 5 + 1)) * 1000) < 1e-9, String(rate));
  });

  it("fits the verify cost line to the verifier's profile", () => {
    const line = verifyCostLine(
      v("v1", 0, 4, {
        profile: {
          verifyMsByWindow: [
            { window: 0, ms: 27 },
            { window: 4, ms: 59 },
            { window: 8, ms: 91 },
          ],
        },
      }),
    );
    assert.ok(Math.abs(line.a - 19) < 1e-9 && Math.abs(line.b - 8) < 1e-9, JSON.stringify(line));
  });
});

describe("load-aware: unmeasured pairs are not preferred for being unmeasured", () => {
  it("a pair without its own round trip pays what measured pairs took beyond their broker round trips", () => {
    const verifier = v("v1", 0, 4, { brokerRttMs: 10 });
    const drafter = d("d1", 0, 4, {
      brokerRttMs: 10,
      drafting: { windowPolicy: "fixed", window: 0, maxWindow: 0, pipelined: false },
    });
    const rate = predictPairRate({ verifier, drafter }, { roundTripExcessMs: 15 });
    assert.ok(Math.abs(rate - 1000 / (30 + 10 + 10 + 15 + 1)) < 1e-9, String(rate));
  });
});
