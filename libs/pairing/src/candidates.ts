import type { LoadAwareTuning } from "./tuning.js";
import type { CandidatePair, PairingDecision, PairingRequest, WorkerView } from "./types.js";

export const load = (w: WorkerView) => w.activeSessions / w.maxSessions;
export const hasRoom = (w: WorkerView) => w.activeSessions < w.maxSessions;
/**
 * The worker with one session fewer: as a decision about one of its own sessions sees it (staying,
 * or finding it a drafter), or as a request waiting for a slot to free sees it.
 */
export const withoutSession = (w: WorkerView): WorkerView => ({
  ...w,
  activeSessions: Math.max(0, w.activeSessions - 1),
});
export const byId = (a: WorkerView, b: WorkerView) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
export const onLowBattery = (drafter: WorkerView, threshold: number) =>
  drafter.power?.source === "battery" && drafter.power.level !== null && drafter.power.level < threshold;
/** A drafter's measured ms per token, or the tuning's assumption when it measured none. */
export const draftMsOf = (drafter: WorkerView, tuning: Pick<LoadAwareTuning, "defaultDraftMsPerToken">) =>
  drafter.profile?.draftMsPerToken ?? tuning.defaultDraftMsPerToken;

/**
 * What a verifier and a drafter must share to be paired: the vocabulary (ARCHITECTURE invariant 4)
 * and the protocol they speak to each other (libs/contracts protocol.ts: during an upgrade two
 * versions' workers would refuse each other's rounds). An unknown protocol matches only unknown.
 */
export const partnerKey = (w: Pick<WorkerView, "vocabFingerprint" | "protocol">): string =>
  JSON.stringify([w.vocabFingerprint, w.protocol ?? null]);
export const canPair = (verifier: WorkerView, drafter: WorkerView): boolean =>
  partnerKey(verifier) === partnerKey(drafter);

/**
 * The free pairs, without listing them (a fleet of 400 verifiers and 1,600 drafters has 640,000):
 * each free verifier, in id order, with the free drafters it can pair with (`canPair`), in id order.
 * Pairs are ordered verifier first, then drafter.
 */
export interface Candidates {
  verifiers: ReadonlyArray<{ verifier: WorkerView; drafters: readonly WorkerView[] }>;
  /** How many pairs there are. */
  count: number;
}

/**
 * What every policy shares: the pairs it may choose from (ready, compatible, with room), or the
 * decision when there is no choice to make — no verifier of the model (`none`), compatible
 * pairs all full (`wait`), or no drafter sharing the vocabulary at all (`alone` on the least
 * loaded verifier with room). Degraded workers are offered only when no healthy pair is free.
 */
export function candidatePairs(fleet: readonly WorkerView[], request: PairingRequest): Candidates | PairingDecision {
  const verifiers = fleet.filter((w) => w.role === "verifier" && w.ready && w.modelName === request.model).sort(byId);
  if (verifiers.length === 0) {
    return { kind: "none", code: "model_not_found", reason: `no ready verifier serves model '${request.model}'` };
  }
  const drafters = new Map<string, WorkerView[]>();
  for (const w of fleet) {
    if (w.role !== "drafter" || !w.ready) continue;
    const group = drafters.get(partnerKey(w));
    if (group) group.push(w);
    else drafters.set(partnerKey(w), [w]);
  }
  for (const group of drafters.values()) group.sort(byId);
  let compatible = 0;
  for (const v of verifiers) compatible += drafters.get(partnerKey(v))?.length ?? 0;
  const healthy = build(verifiers, drafters, true);
  if (healthy.count > 0) return healthy;
  const any = build(verifiers, drafters, false);
  if (any.count > 0) return any;
  if (compatible > 0) return { kind: "wait", reason: `all ${compatible} compatible pairs are at capacity` };
  // Speculation needs a shared vocabulary and protocol; without them the target still answers, alone.
  const verifier = [...verifiers.filter(hasRoom)].sort((a, b) => load(a) - load(b) || byId(a, b))[0];
  if (!verifier) return { kind: "wait", reason: `every verifier of '${request.model}' is at capacity` };
  return {
    kind: "alone",
    verifierId: verifier.id,
    reason: `no ready drafter shares a vocabulary and a protocol with the verifiers of '${request.model}'`,
  };
}

function build(
  verifiers: readonly WorkerView[],
  drafters: ReadonlyMap<string, WorkerView[]>,
  healthyOnly: boolean,
): Candidates {
  const usable = (w: WorkerView) => hasRoom(w) && !(healthyOnly && w.degraded);
  const free = new Map<string, WorkerView[]>();
  for (const [key, group] of drafters) free.set(key, group.filter(usable));
  const entries = verifiers.filter(usable).flatMap((verifier) => {
    const partners = free.get(partnerKey(verifier)) ?? [];
    return partners.length > 0 ? [{ verifier, drafters: partners }] : [];
  });
  return { verifiers: entries, count: entries.reduce((sum, e) => sum + e.drafters.length, 0) };
}

/**
 * The verifiers of the model that may take a session alone: ready, with room, healthy ones only
 * if there is one.
 */
export function freeVerifiers(fleet: readonly WorkerView[], request: PairingRequest): WorkerView[] {
  const free = fleet
    .filter((w) => w.role === "verifier" && w.ready && w.modelName === request.model && hasRoom(w))
    .sort(byId);
  const healthy = free.filter((w) => !w.degraded);
  return healthy.length > 0 ? healthy : free;
}

/** The pair at `index` in verifier-then-drafter order. */
export function pairAt(candidates: Candidates, index: number): CandidatePair {
  let rest = Math.min(Math.max(0, Math.floor(index)), candidates.count - 1);
  for (const { verifier, drafters } of candidates.verifiers) {
    if (rest < drafters.length) return { verifier, drafter: drafters[rest]! };
    rest -= drafters.length;
  }
  throw new Error("no candidate pairs");
}

/** Every pair, in order (for policies that must look at each, on fleets small enough). */
export function* allPairs(candidates: Candidates): Generator<CandidatePair> {
  for (const { verifier, drafters } of candidates.verifiers)
    for (const drafter of drafters) yield { verifier, drafter };
}

export function pairDecision(pair: CandidatePair): PairingDecision {
  return { kind: "pair", verifierId: pair.verifier.id, drafterId: pair.drafter.id };
}

/** The candidate with the smallest `score` (first in order on a tie, within float error). */
export function minimise<T>(items: Iterable<T>, score: (item: T) => number): T {
  let best: T | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const item of items) {
    const s = score(item);
    if (best === undefined || s < bestScore - 1e-9) {
      best = item;
      bestScore = s;
    }
  }
  if (best === undefined) throw new Error("nothing to choose from");
  return best;
}

export function isDecision(value: Candidates | PairingDecision): value is PairingDecision {
  return "kind" in value;
}
