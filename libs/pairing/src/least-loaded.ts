import type { PairingDecision, PairingPolicy, WorkerView } from "./types.js";

/** Loads are sums of fractions: equal ones may differ in the last bit (0.1 + 0.2 vs 0.3). */
const SCORE_EPSILON = 1e-9;
const load = (w: WorkerView) => w.activeSessions / w.maxSessions;
const hasRoom = (w: WorkerView) => w.activeSessions < w.maxSessions;

/**
 * Least-loaded pair: among ready verifiers serving the requested model and ready drafters with
 * the same vocabulary fingerprint, both with a free slot, pick the pair with the smallest sum
 * of fractional loads (ties: the verifier, then the drafter, with the smaller id, so the
 * decision is deterministic). When no live drafter shares the vocabulary at all, the least
 * loaded verifier with room decodes alone.
 */
export const leastLoaded: PairingPolicy = (fleet, request): PairingDecision => {
  const verifiers = fleet.filter((w) => w.role === "verifier" && w.ready && w.modelName === request.model);
  if (verifiers.length === 0) {
    return { kind: "none", code: "model_not_found", reason: `no ready verifier serves model '${request.model}'` };
  }
  const drafters = fleet.filter((w) => w.role === "drafter" && w.ready);
  let best: { verifier: WorkerView; drafter: WorkerView; score: number } | null = null;
  let compatible = 0;
  for (const verifier of verifiers) {
    for (const drafter of drafters) {
      if (drafter.vocabFingerprint !== verifier.vocabFingerprint) continue;
      compatible++;
      if (!hasRoom(verifier) || !hasRoom(drafter)) continue;
      const score = load(verifier) + load(drafter);
      const tie = best !== null && Math.abs(score - best.score) < SCORE_EPSILON;
      if (!best || (!tie && score < best.score) || (tie && tieBreak(verifier, drafter, best))) {
        best = { verifier, drafter, score };
      }
    }
  }
  if (best) return { kind: "pair", verifierId: best.verifier.id, drafterId: best.drafter.id };
  if (compatible > 0) return { kind: "wait", reason: `all ${compatible} compatible pairs are at capacity` };
  // Speculation needs a shared vocabulary; without one the target still answers, alone.
  const verifier = leastLoadedOf(verifiers.filter(hasRoom));
  if (!verifier) return { kind: "wait", reason: `every verifier of '${request.model}' is at capacity` };
  return { kind: "alone", verifierId: verifier.id, reason: `no ready drafter shares a vocabulary with the verifiers of '${request.model}'` };
};

function leastLoadedOf(workers: readonly WorkerView[]): WorkerView | undefined {
  return [...workers].sort((a, b) => load(a) - load(b) || (a.id < b.id ? -1 : 1))[0];
}

function tieBreak(verifier: WorkerView, drafter: WorkerView, best: { verifier: WorkerView; drafter: WorkerView }): boolean {
  if (verifier.id !== best.verifier.id) return verifier.id < best.verifier.id;
  return drafter.id < best.drafter.id;
}
