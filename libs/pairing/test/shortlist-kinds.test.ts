import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { PAIRING_TUNING_DEFAULTS, predictPairRate, type CandidatePair, type PairingContext } from "#pairing";
import { candidatePairs, draftMsOf, isDecision, onLowBattery } from "../src/candidates.js";
import { shortlistPairs } from "../src/shortlist.js";
import { d, request, v } from "./workers.js";

const tuning = PAIRING_TUNING_DEFAULTS.loadAware;
/** A small LCG: the fleets are the same on every run. */
const lcg = (seed: number) => () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;

/**
 * The shortlist as it was built before kinds: every free verifier predicted with its fastest
 * partner, every eligible drafter with the best verifier, each ranking a stable sort by rate.
 */
function workerByWorker(
  fleet: Parameters<typeof candidatePairs>[0],
  rate: (pair: CandidatePair) => number,
  eligible: (drafter: CandidatePair["drafter"]) => boolean,
): string[] {
  const candidates = candidatePairs(fleet, request);
  assert.ok(!isDecision(candidates));
  const top = <T>(items: readonly T[], score: (item: T) => number) =>
    items
      .map((item, i) => ({ item, i, s: score(item) }))
      .sort((a, b) => b.s - a.s || a.i - b.i)
      .slice(0, tuning.shortlist)
      .map((x) => x.item);
  const fastest = (drafters: readonly CandidatePair["drafter"][]) =>
    drafters.reduce((best, x) =>
      draftMsOf(x, tuning) * (1 + x.activeSessions) < draftMsOf(best, tuning) * (1 + best.activeSessions) - 1e-9
        ? x
        : best,
    );
  const verifiers = top(candidates.verifiers, (e) => rate({ verifier: e.verifier, drafter: fastest(e.drafters) }));
  const drafters = top(verifiers[0]!.drafters.filter(eligible), (drafter) =>
    rate({ verifier: verifiers[0]!.verifier, drafter }),
  );
  return verifiers.flatMap((e) => drafters.map((drafter) => `${e.verifier.id}+${drafter.id}`));
}

describe("the shortlist predicts a kind of worker once", () => {
  it("shortlists the pairs a worker-by-worker ranking gives, over fleets of few kinds with measured links and low batteries", () => {
    for (let trial = 0; trial < 30; trial++) {
      const random = lcg(trial + 7);
      const pick = <T>(options: readonly T[]) => options[Math.floor(random() * options.length)]!;
      const verifierProfiles = [0, 1, 2].map((k) => ({
        verifyMsByWindow: [
          { window: 0, ms: 20 + 5 * k },
          { window: 4, ms: 45 + 9 * k },
        ],
      }));
      const fleet = [
        ...Array.from({ length: 60 }, (_, i) =>
          v(`v${String(i).padStart(3, "0")}`, Math.floor(random() * 3), 4, {
            profile: pick(verifierProfiles),
            brokerRttMs: pick([1, 3]),
          }),
        ),
        ...Array.from({ length: 300 }, (_, i) =>
          d(`d${String(i).padStart(3, "0")}`, Math.floor(random() * 3), 4, {
            profile: { draftMsPerToken: pick([0.5, 1.5, 4]) },
            brokerRttMs: pick([1, 2, 8]),
            power: random() < 0.2 ? { source: "battery", level: 0.05 } : { source: "plugged", level: null },
          }),
        ),
      ];
      // A few measured links, some faster and some slower than their kind's estimate.
      const links = new Map<string, number>();
      for (let n = 0; n < 40; n++)
        links.set(`${pick(fleet.slice(300)).id}|${pick(fleet.slice(0, 60)).id}`, random() * 6);
      const context: PairingContext = {
        acceptance: () => 0.8,
        roundTripMs: (drafterId, verifierId) => links.get(`${drafterId}|${verifierId}`),
      };
      let predictions = 0;
      const rate = (pair: CandidatePair) => {
        predictions++;
        return predictPairRate(pair, context, tuning);
      };
      const eligible = (drafter: CandidatePair["drafter"]) => !onLowBattery(drafter, tuning.lowBattery);
      const measured = (verifier: CandidatePair["verifier"], drafter: CandidatePair["drafter"]) =>
        links.has(`${drafter.id}|${verifier.id}`);
      const candidates = candidatePairs(fleet, request);
      assert.ok(!isDecision(candidates));
      const shortlist = shortlistPairs(candidates, rate, tuning, { eligible, measured });
      const byKind = predictions;
      predictions = 0;
      assert.deepEqual(
        shortlist.map((p) => `${p.verifier.id}+${p.drafter.id}`),
        workerByWorker(fleet, rate, eligible),
        `trial ${trial}`,
      );
      assert.ok(byKind < predictions / 3, `trial ${trial}: ${byKind} predictions by kind, ${predictions} one by one`);
    }
  });
});
