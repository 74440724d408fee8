import { candidatePairs, pairDecision } from "./candidates.js";
import type { CandidatePair, PairingPolicy } from "./types.js";

/**
 * Round-robin (the DSD paper's baseline): verifiers take turns in id order, and so do drafters,
 * each skipping those without a free compatible partner. Stateful: each call of the factory
 * starts its own turn order (the scheduler and each simulation hold one).
 */
export function roundRobin(): PairingPolicy {
  let lastVerifier: string | null = null;
  let lastDrafter: string | null = null;
  const after = (ids: readonly string[], last: string | null) => ids.find((id) => last === null || id > last) ?? ids[0]!;
  return (fleet, request) => {
    const pairs = candidatePairs(fleet, request);
    if (!Array.isArray(pairs)) return pairs;
    const verifierId = after(unique(pairs.map((p) => p.verifier.id)), lastVerifier);
    const partners = pairs.filter((p) => p.verifier.id === verifierId);
    const drafterId = after(unique(partners.map((p) => p.drafter.id)), lastDrafter);
    lastVerifier = verifierId;
    lastDrafter = drafterId;
    return pairDecision(partners.find((p: CandidatePair) => p.drafter.id === drafterId)!);
  };
}

function unique(ids: readonly string[]): string[] {
  return [...new Set(ids)].sort();
}
