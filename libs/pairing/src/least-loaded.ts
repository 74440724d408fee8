import { candidatePairs, isDecision, load, minimise, pairDecision } from "./candidates.js";
import type { PairingPolicy, WorkerView } from "./types.js";

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
  // Verifiers sharing a vocabulary share one list of partners: its least loaded, found once.
  const leastOf = new Map<readonly WorkerView[], WorkerView>();
  const partner = (drafters: readonly WorkerView[]) => {
    let drafter = leastOf.get(drafters);
    if (!drafter) leastOf.set(drafters, (drafter = minimise(drafters, load)));
    return drafter;
  };
  const best = minimise(
    candidates.verifiers.map(({ verifier, drafters }) => ({ verifier, drafter: partner(drafters) })),
    (p) => load(p.verifier) + load(p.drafter),
  );
  return pairDecision(best);
};
