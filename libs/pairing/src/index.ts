import { leastLoaded } from "./least-loaded.js";
import { loadAware } from "./load-aware.js";
import { powerOfTwo } from "./power-of-two.js";
import { randomPairing } from "./random.js";
import { roundRobin } from "./round-robin.js";
import { shortestQueue } from "./shortest-queue.js";
import type { PairingPolicy } from "./types.js";

export * from "./types.js";
export { candidatePairs, pairAt, isDecision, type Candidates } from "./candidates.js";
export { leastLoaded } from "./least-loaded.js";
export { randomPairing } from "./random.js";
export { roundRobin } from "./round-robin.js";
export { shortestQueue } from "./shortest-queue.js";
export { powerOfTwo } from "./power-of-two.js";
export {
  bestPair,
  loadAware,
  pairRoundTripMs,
  predictAloneRate,
  predictPairRate,
  verifyCostLine,
  LOAD_AWARE_DEFAULTS,
  type LoadAwareOptions,
} from "./load-aware.js";
export { rebalanceMoves, REBALANCE_DEFAULTS, type LiveSession, type Move, type RebalanceOptions } from "./rebalance.js";

/** Policies by the name used in configuration (PAIRING_POLICY); each call makes a fresh one (round-robin keeps turns). */
export const pairingPolicies = {
  "load-aware": () => loadAware(),
  "least-loaded": () => leastLoaded,
  random: () => randomPairing,
  "round-robin": () => roundRobin(),
  "shortest-queue": () => shortestQueue,
  "power-of-two": () => powerOfTwo,
} satisfies Record<string, () => PairingPolicy>;
export type PairingPolicyName = keyof typeof pairingPolicies;
export const PAIRING_POLICY_NAMES = Object.keys(pairingPolicies) as PairingPolicyName[];

export function createPairingPolicy(name: PairingPolicyName): PairingPolicy {
  return pairingPolicies[name]();
}
