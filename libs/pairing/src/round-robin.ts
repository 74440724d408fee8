import { candidatePairs, isDecision, pairDecision } from "./candidates.js";
import type { PairingPolicy, WorkerView } from "./types.js";

/**
 * Round-robin (the DSD paper's baseline): verifiers take turns in id order, and so do drafters,
 * each skipping those without a free compatible partner. Stateful: each call of the factory
 * starts its own turn order (the scheduler and each simulation hold one).
 */
export function roundRobin(): PairingPolicy {
  let lastVerifier: string | null = null;
  let lastDrafter: string | null = null;
  const after = <T extends { id: string }>(items: readonly T[], last: string | null): T =>
    items.find((w) => last === null || w.id > last) ?? items[0]!;
  return (fleet, request) => {
    const candidates = candidatePairs(fleet, request);
    if (isDecision(candidates)) return candidates;
    const entry = after(
      candidates.verifiers.map((e) => ({ id: e.verifier.id, ...e })),
      lastVerifier,
    );
    const drafter: WorkerView = after(entry.drafters, lastDrafter);
    lastVerifier = entry.verifier.id;
    lastDrafter = drafter.id;
    return pairDecision({ verifier: entry.verifier, drafter });
  };
}
