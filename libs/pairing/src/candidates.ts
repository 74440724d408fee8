import type { CandidatePair, PairingDecision, PairingRequest, WorkerView } from "./types.js";

export const load = (w: WorkerView) => w.activeSessions / w.maxSessions;
export const hasRoom = (w: WorkerView) => w.activeSessions < w.maxSessions;
export const byId = (a: WorkerView, b: WorkerView) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * What every policy shares: the pairs it may choose from (ready, compatible, with room; in
 * verifier-then-drafter id order), or the decision when there is no choice to make — no
 * verifier of the model (`none`), compatible pairs all full (`wait`), or no drafter sharing
 * the vocabulary at all (`alone` on the least loaded verifier with room). Degraded workers are
 * offered only when no healthy pair is free.
 */
export function candidatePairs(fleet: readonly WorkerView[], request: PairingRequest): CandidatePair[] | PairingDecision {
  const verifiers = fleet.filter((w) => w.role === "verifier" && w.ready && w.modelName === request.model).sort(byId);
  if (verifiers.length === 0) {
    return { kind: "none", code: "model_not_found", reason: `no ready verifier serves model '${request.model}'` };
  }
  const drafters = fleet.filter((w) => w.role === "drafter" && w.ready).sort(byId);
  const free: CandidatePair[] = [];
  let compatible = 0;
  for (const verifier of verifiers) {
    for (const drafter of drafters) {
      if (drafter.vocabFingerprint !== verifier.vocabFingerprint) continue;
      compatible++;
      if (hasRoom(verifier) && hasRoom(drafter)) free.push({ verifier, drafter });
    }
  }
  const healthy = free.filter((p) => !p.verifier.degraded && !p.drafter.degraded);
  if (healthy.length > 0) return healthy;
  if (free.length > 0) return free;
  if (compatible > 0) return { kind: "wait", reason: `all ${compatible} compatible pairs are at capacity` };
  // Speculation needs a shared vocabulary; without one the target still answers, alone.
  const verifier = [...verifiers.filter(hasRoom)].sort((a, b) => load(a) - load(b) || byId(a, b))[0];
  if (!verifier) return { kind: "wait", reason: `every verifier of '${request.model}' is at capacity` };
  return { kind: "alone", verifierId: verifier.id, reason: `no ready drafter shares a vocabulary with the verifiers of '${request.model}'` };
}

export function pairDecision(pair: CandidatePair): PairingDecision {
  return { kind: "pair", verifierId: pair.verifier.id, drafterId: pair.drafter.id };
}

/** The candidate with the smallest `score` (first in id order on a tie, within float error). */
export function minimise(pairs: readonly CandidatePair[], score: (p: CandidatePair) => number): CandidatePair {
  let best = pairs[0]!;
  let bestScore = score(best);
  for (const pair of pairs.slice(1)) {
    const s = score(pair);
    if (s < bestScore - 1e-9) {
      best = pair;
      bestScore = s;
    }
  }
  return best;
}
