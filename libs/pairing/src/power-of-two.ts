import { candidatePairs, load, pairDecision } from "./candidates.js";
import type { PairingPolicy } from "./types.js";

/**
 * Power of two choices (Mitzenmacher 2001): draw two free pairs at random and keep the one with
 * the smaller sum of fractional loads; nearly as balanced as least-loaded at the cost of two
 * looks instead of all (what matters when the fleet is large and the view is stale).
 */
export const powerOfTwo: PairingPolicy = (fleet, request, context) => {
  const pairs = candidatePairs(fleet, request);
  if (!Array.isArray(pairs)) return pairs;
  const random = context?.random ?? Math.random;
  const pick = () => pairs[Math.min(pairs.length - 1, Math.floor(random() * pairs.length))]!;
  const a = pick();
  const b = pick();
  const score = (p: typeof a) => load(p.verifier) + load(p.drafter);
  return pairDecision(score(b) < score(a) - 1e-9 ? b : a);
};
