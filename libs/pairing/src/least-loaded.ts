import { candidatePairs, load, minimise, pairDecision } from "./candidates.js";
import type { PairingPolicy } from "./types.js";

/**
 * Least-loaded pair: among ready verifiers serving the requested model and ready drafters with
 * the same vocabulary fingerprint, both with a free slot, pick the pair with the smallest sum
 * of fractional loads (ties: the verifier, then the drafter, with the smaller id, so the
 * decision is deterministic). When no live drafter shares the vocabulary at all, the least
 * loaded verifier with room decodes alone.
 */
export const leastLoaded: PairingPolicy = (fleet, request) => {
  const pairs = candidatePairs(fleet, request);
  if (!Array.isArray(pairs)) return pairs;
  return pairDecision(minimise(pairs, (p) => load(p.verifier) + load(p.drafter)));
};
