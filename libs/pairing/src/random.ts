import { candidatePairs, isDecision, pairAt, pairDecision } from "./candidates.js";
import type { PairingPolicy } from "./types.js";

/** Random (the DSD paper's baseline): any free compatible pair, uniformly. */
export const randomPairing: PairingPolicy = (fleet, request, context) => {
  const candidates = candidatePairs(fleet, request);
  if (isDecision(candidates)) return candidates;
  const u = (context?.random ?? Math.random)();
  return pairDecision(pairAt(candidates, u * candidates.count));
};
