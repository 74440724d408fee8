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

export { createPairingPolicy, pairingPolicies, PAIRING_POLICY_NAMES, type PairingPolicyName } from "./policies.js";
