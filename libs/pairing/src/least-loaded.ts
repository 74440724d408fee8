import { candidatePairs, isDecision, load, minimise, pairDecision } from "./candidates.js";
import type { PairingPolicy } from "./types.js";

/**
 * Least-loaded pair: among ready verifiers serving the requested model and ready drafters with
 * the same vocabulary fingerprint, both with a free slot, pick the pair with the smallest sum
 * of fractional loads (ties: the verifier, then the drafter, with the smaller id, so the
 * decision is deterministic). The sum is smallest for each verifier's least loaded partner, so
 * one pass over verifiers and drafters suffices. When no live drafter shares the vocabulary at
 * all, the least loaded verifier with room decodes alone.
 */
export const leastLoaded: PairingPolicy = (fleet, request) => {
  const candidates = candidatePairs(fleet, request);
  if (isDecision(candidates)) return candidates;
  const best = minimise(
    candidates.verifiers.map(({ verifier, drafters }) => ({ verifier, drafter: minimise(drafters, load) })),
    (p) => load(p.verifier) + load(p.drafter),
  );
  return pairDecision(best);
};
