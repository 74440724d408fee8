import { candidatePairs, pairDecision } from "./candidates.js";
import type { PairingPolicy } from "./types.js";

/** Random (the DSD paper's baseline): any free compatible pair, uniformly. */
export const randomPairing: PairingPolicy = (fleet, request, context) => {
  const pairs = candidatePairs(fleet, request);
  if (!Array.isArray(pairs)) return pairs;
  const u = (context?.random ?? Math.random)();
  return pairDecision(pairs[Math.min(pairs.length - 1, Math.floor(u * pairs.length))]!);
};
