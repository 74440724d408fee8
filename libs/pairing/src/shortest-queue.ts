import { candidatePairs, isDecision, minimise, pairDecision } from "./candidates.js";
import type { PairingPolicy } from "./types.js";

/**
 * Join the shortest queue (the DSD paper's baseline): the verifier with the fewest sessions,
 * then, among its partners, the drafter with the fewest; absolute counts, whatever the
 * capacity. Ties go to the smaller id.
 */
export const shortestQueue: PairingPolicy = (fleet, request) => {
  const candidates = candidatePairs(fleet, request);
  if (isDecision(candidates)) return candidates;
  const { verifier, drafters } = minimise(candidates.verifiers, (e) => e.verifier.activeSessions);
  return pairDecision({ verifier, drafter: minimise(drafters, (d) => d.activeSessions) });
};
