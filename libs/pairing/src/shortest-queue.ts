import { candidatePairs, minimise, pairDecision } from "./candidates.js";
import type { PairingPolicy } from "./types.js";

/**
 * Join the shortest queue (the DSD paper's baseline): the verifier with the fewest sessions,
 * then, among its partners, the drafter with the fewest; absolute counts, whatever the
 * capacity. Ties go to the smaller id.
 */
export const shortestQueue: PairingPolicy = (fleet, request) => {
  const pairs = candidatePairs(fleet, request);
  if (!Array.isArray(pairs)) return pairs;
  // Verifier first: a drafter count never outweighs one session on the verifier.
  const drafterRange = Math.max(...pairs.map((p) => p.drafter.activeSessions)) + 1;
  return pairDecision(minimise(pairs, (p) => p.verifier.activeSessions * drafterRange + p.drafter.activeSessions));
};
