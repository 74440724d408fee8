import { candidatePairs, isDecision, load, pairAt, pairDecision } from "./candidates.js";
import type { CandidatePair, PairingPolicy } from "./types.js";

/**
 * Power of two choices (Mitzenmacher 2001): draw two free pairs at random and keep the one with
 * the smaller sum of fractional loads; nearly as balanced as least-loaded at the cost of two
 * looks instead of all (what matters when the fleet is large and the view is stale).
 */
export const powerOfTwo: PairingPolicy = (fleet, request, context) => {
  const candidates = candidatePairs(fleet, request);
  if (isDecision(candidates)) return candidates;
  const random = context?.random ?? Math.random;
  const a = pairAt(candidates, random() * candidates.count);
  const b = pairAt(candidates, random() * candidates.count);
  const score = (p: CandidatePair) => load(p.verifier) + load(p.drafter);
  return pairDecision(score(b) < score(a) - 1e-9 ? b : a);
};
