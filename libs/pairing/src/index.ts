export * from "./types.js";
export {
  canPair,
  candidatePairs,
  partnerKey,
  pairAt,
  isDecision,
  withoutSession,
  type Candidates,
} from "./candidates.js";
export { leastLoaded } from "./least-loaded.js";
export { randomPairing } from "./random.js";
export { roundRobin } from "./round-robin.js";
export { shortestQueue } from "./shortest-queue.js";
export { powerOfTwo } from "./power-of-two.js";
export {
  loadAware,
  pairRoundTripMs,
  predictAloneRate,
  predictPairRate,
  predictSelfDraftRate,
  verifyCostLine,
} from "./load-aware.js";
export { bestPair } from "./shortlist.js";
export { rebalanceMoves, type LiveSession, type Move } from "./rebalance.js";
export {
  loadAwareTuningSchema,
  pairingTuningSchema,
  rebalanceTuningSchema,
  PAIRING_TUNING_DEFAULTS,
  type LoadAwareTuning,
  type PairingTuning,
  type PairingTuningInput,
  type RebalanceTuning,
} from "./tuning.js";
export { createPairingPolicy, pairingPolicies, PAIRING_POLICY_NAMES, type PairingPolicyName } from "./policies.js";
