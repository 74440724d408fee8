import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  createPairingPolicy,
  loadAware,
  PAIRING_POLICY_NAMES,
  powerOfTwo,
  predictPairRate,
  randomPairing,
  roundRobin,
  shortestQueue,
  verifyCostLine,
  type PairingContext,
  type PairingDecision,
  type PairingRequest,
  type WorkerView,
} from "#pairing";

import { d, v } from "./workers.js";
const pair = (verifierId: string, drafterId: string): PairingDecision => ({ kind: "pair", verifierId, drafterId });
const request = { model: "m" };
/** A context whose random draws are the given numbers, in turn. */
const draws = (...values: number[]): PairingContext => {
  let i = 0;
  return { random: () => values[i++ % values.length]! };
};

describe("every policy", () => {
  for (const name of PAIRING_POLICY_NAMES) {
    const policy = createPairingPolicy(name);
    const cases: Array<{ what: string; fleet: WorkerView[]; expected: PairingDecision["kind"] }> = [
      { what: "no verifier: none", fleet: [d("d1", 0, 4)], expected: "none" },
      {
        what: "no compatible drafter: alone",
        fleet: [v("v1", 0, 4), d("d1", 0, 4, { vocabFingerprint: "other" })],
        expected: "alone",
      },
      { what: "every pair full: wait", fleet: [v("v1", 4, 4), d("d1", 0, 4)], expected: "wait" },
      { what: "a free pair: pair", fleet: [v("v1", 4, 4), v("v2", 0, 4), d("d1", 0, 4)], expected: "pair" },
      {
        what: "draining workers take nothing new",
        fleet: [v("v1", 0, 4, { ready: false }), d("d1", 0, 4)],
        expected: "none",
      },
    ];
    for (const c of cases) {
      it(`${name}: ${c.what}`, () => {
        const decision = policy(c.fleet, request, draws(0.3, 0.7));
        assert.equal(decision.kind, c.expected, JSON.stringify(decision));
        if (decision.kind === "pair") assert.deepEqual(decision, pair("v2", "d1"));
      });
    }
    it(`${name}: prefers healthy workers to degraded ones`, () => {
      const fleet = [v("v1", 0, 4, { degraded: true }), v("v2", 3, 4), d("d1", 0, 4)];
      assert.deepEqual(policy(fleet, request, draws(0.01)), pair("v2", "d1"));
    });
  }
});

describe("random", () => {
  const fleet = [v("v1", 0, 4), v("v2", 3, 4), d("d1", 0, 4), d("d2", 0, 4)];
  // Free pairs in id order: (v1,d1) (v1,d2) (v2,d1) (v2,d2).
  const cases: Array<[number, PairingDecision]> = [
    [0, pair("v1", "d1")],
    [0.3, pair("v1", "d2")],
    [0.6, pair("v2", "d1")],
    [0.99, pair("v2", "d2")],
  ];
  for (const [u, expected] of cases)
    it(`draw ${u}`, () => assert.deepEqual(randomPairing(fleet, request, draws(u)), expected));
});

describe("round-robin", () => {
  it("gives verifiers and drafters turns in id order, skipping full ones", () => {
    const policy = roundRobin();
    const fleet = [v("v2", 0, 4), v("v1", 0, 4), v("v3", 4, 4), d("d1", 0, 4), d("d2", 0, 4)];
    const decisions = Array.from({ length: 4 }, () => policy(fleet, request));
    assert.deepEqual(decisions, [pair("v1", "d1"), pair("v2", "d2"), pair("v1", "d1"), pair("v2", "d2")]);
  });
});

describe("shortest-queue", () => {
  const cases: Array<{ name: string; fleet: WorkerView[]; expected: PairingDecision }> = [
    {
      name: "fewest sessions on the verifier, whatever its capacity",
      fleet: [v("v1", 3, 16), v("v2", 2, 4), d("d1", 0, 4)],
      expected: pair("v2", "d1"),
    },
    {
      name: "then fewest on the drafter",
      fleet: [v("v1", 0, 4), d("d1", 2, 4), d("d2", 1, 4)],
      expected: pair("v1", "d2"),
    },
    {
      name: "the verifier decides before the drafter",
      fleet: [
        v("v1", 1, 4),
        v("v2", 2, 4),
        d("d1", 3, 4),
        d("d2", 0, 4, { vocabFingerprint: "B" }),
        v("v3", 2, 4, { vocabFingerprint: "B" }),
      ],
      expected: pair("v1", "d1"),
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(shortestQueue(c.fleet, request), c.expected));
});

describe("power-of-two", () => {
  const fleet = [v("v1", 3, 4), v("v2", 0, 4), d("d1", 0, 4)];
  it("keeps the less loaded of the two drawn", () =>
    assert.deepEqual(powerOfTwo(fleet, request, draws(0.1, 0.9)), pair("v2", "d1")));
  it("keeps the only one when both draws agree", () =>
    assert.deepEqual(powerOfTwo(fleet, request, draws(0.1, 0.2)), pair("v1", "d1")));
});

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

describe("load-aware: the verifier alone", () => {
  const policy = loadAware();
  const tiny = {
    verifyMsByWindow: [
      { window: 0, ms: 1 },
      { window: 4, ms: 2 },
    ],
  };
  const agreeing: PairingContext = { acceptance: () => 0.95 };
  const near = { brokerRttMs: 0.5 };
  const far = { brokerRttMs: 60 };

  it("a drafter far from the broker makes a slow pair, so the verifier goes alone", () => {
    const decision = policy(
      [v("v1", 0, 4, { profile: tiny, ...near }), d("d1", 0, 4, { profile: { draftMsPerToken: 0.5 }, ...far })],
      request,
      agreeing,
    );
    assert.equal(decision.kind, "alone", JSON.stringify(decision));
  });

  it("…but a drafter model never seen against the target is tried first, so its acceptance is learnt", () => {
    const decision = policy(
      [v("v1", 0, 4, { profile: tiny, ...near }), d("d1", 0, 4, { profile: { draftMsPerToken: 0.5 }, ...far })],
      request,
      {},
    );
    assert.deepEqual(decision, pair("v1", "d1"));
  });

  it("a near drafter is worth pairing with", () => {
    const decision = policy(
      [v("v1", 0, 4, { profile: tiny, ...near }), d("d1", 0, 4, { profile: { draftMsPerToken: 0.5 }, ...near })],
      request,
      agreeing,
    );
    assert.deepEqual(decision, pair("v1", "d1"));
  });

  it("a pair's measured round trip overrides the broker round trips", () => {
    const fleet = [
      v("v1", 0, 4, { profile: tiny, ...near }),
      d("d1", 0, 4, { profile: { draftMsPerToken: 0.5 }, ...far }),
    ];
    const decision = policy(fleet, request, { ...agreeing, roundTripMs: () => 0.5 });
    assert.deepEqual(decision, pair("v1", "d1"));
  });

  it("the pair's round trip is both broker round trips, before it has its own", () => {
    const pairOf = (extra: Partial<WorkerView>) => ({
      verifier: v("v1", 0, 4, { brokerRttMs: 2 }),
      drafter: d("d1", 0, 4, extra),
    });
    const fixed = { windowPolicy: "fixed" as const, window: 0, maxWindow: 0, pipelined: false };
    // γ = 0: one token per verify (30 ms) + round trip + 1 ms of per-process work.
    assert.ok(Math.abs(predictPairRate(pairOf({ brokerRttMs: 8, drafting: fixed })) - 1000 / (30 + 10 + 1)) < 1e-9);
    assert.ok(
      Math.abs(predictPairRate(pairOf({ drafting: fixed })) - 1000 / (30 + 5 + 1)) < 1e-9,
      "unknown: the default 5 ms",
    );
  });

  it("every compatible drafter busy: a free verifier decodes alone rather than queueing", () => {
    const decision = policy([v("v1", 0, 4, { profile: tiny }), d("d1", 4, 4)], request, agreeing);
    assert.equal(decision.kind, "alone");
  });

  it("every verifier full: it waits", () => {
    assert.equal(policy([v("v1", 4, 4, { profile: tiny }), d("d1", 0, 4)], request).kind, "wait");
  });
});

describe("load-aware on a large fleet (shortlisted)", () => {
  /** A small LCG: the fleets are the same on every run. */
  const lcg = (seed: number) => () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;

  it("finds a pair as good as the exhaustive search, over random fleets of 40 × 40", () => {
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
      const decision = loadAware()(fleet, request, context);
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
        rateOf(decision.verifierId, decision.drafterId) >= best * 0.99,
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

describe("load-aware: waiting for a faster pair (shortest expected completion)", () => {
  const policy = loadAware();
  const tiny = {
    verifyMsByWindow: [
      { window: 0, ms: 1 },
      { window: 4, ms: 2 },
    ],
  };
  const wide = {
    verifyMsByWindow: [
      { window: 0, ms: 10 },
      { window: 4, ms: 14 },
    ],
  };
  const agreeing: PairingContext = { acceptance: () => 1 };
  // The fast pair is full; the free one is a slow verifier with a drafter 60 ms away.
  const fleet = [
    v("v1", 4, 4, { profile: tiny, brokerRttMs: 0.5 }),
    v("v2", 0, 4, { profile: wide, brokerRttMs: 0.5 }),
    d("d1", 4, 4, { profile: { draftMsPerToken: 0.3 }, brokerRttMs: 0.5 }),
    d("d2", 0, 4, { profile: { draftMsPerToken: 0.3 }, brokerRttMs: 60 }),
  ];
  const cases: Array<{ name: string; request: Partial<PairingRequest>; expected: PairingDecision["kind"] }> = [
    {
      name: "a request that would finish sooner on the full fast pair waits for it",
      request: { maxTokens: 96 },
      expected: "wait",
    },
    { name: "without its length, nothing is weighed: the best free option", request: {}, expected: "pair" },
    {
      name: "with many requests already waiting ahead, it takes the free option",
      request: { maxTokens: 96, ahead: 40 },
      expected: "pair",
    },
    {
      name: "having waited as long as the free option takes, it stops waiting",
      request: { maxTokens: 96, waitedMs: 10_000 },
      expected: "pair",
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const decision = policy(fleet, { model: "m", ...c.request }, agreeing);
      assert.equal(decision.kind, c.expected, JSON.stringify(decision));
    });
  }
});
