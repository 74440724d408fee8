import { byId, fleetGroups, type FleetGroups } from "./fleet-groups.js";
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
export { byId };
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
  verifier.vocabFingerprint === drafter.vocabFingerprint && (verifier.protocol ?? null) === (drafter.protocol ?? null);

/**
 * The free pairs, without listing them (a fleet of 400 verifiers and 1,600 drafters has 640,000):
 * each free verifier, in id order, with the free drafters it can pair with (`canPair`), in id order.
 * Pairs are ordered verifier first, then drafter.
 */
export interface Candidates {
  verifiers: readonly CandidateVerifier[];
  /** How many pairs there are. */
  count: number;
}

/**
 * A free verifier and its free partners. `kind` and `drafterKinds` (in the order of `drafters`)
 * are the workers' kinds (`fleetGroups`): alike kinds at equal sessions are predicted alike.
 * Verifiers of one partner key share one `drafters` list.
 */
export interface CandidateVerifier {
  verifier: WorkerView;
  kind: number;
  drafters: readonly WorkerView[];
  drafterKinds: Int32Array;
}

/**
 * What every policy shares: the pairs it may choose from (ready, compatible, with room), or the
 * decision when there is no choice to make — no verifier of the model (`none`), compatible
 * pairs all full (`wait`), or no drafter sharing the vocabulary at all (`alone` on the least
 * loaded verifier with room). Degraded workers are offered only when no healthy pair is free.
 */
export function candidatePairs(
  fleet: readonly WorkerView[],
  request: PairingRequest,
  groups: FleetGroups = fleetGroups(fleet),
): Candidates | PairingDecision {
  const verifiers = (groups.verifiers.get(request.model) ?? []).filter((e) => e.verifier.ready);
  if (verifiers.length === 0) {
    return { kind: "none", code: "model_not_found", reason: `no ready verifier serves model '${request.model}'` };
  }
  // The ready drafters of each partner key these verifiers have, in id order.
  const drafters = new Map<string, { list: WorkerView[]; kinds: Int32Array }>();
  let compatible = 0;
  for (const { key } of verifiers) {
    let group = drafters.get(key);
    if (!group) {
      const all = { list: groups.drafters.get(key) ?? [], kinds: groups.drafterKinds.get(key) ?? new Int32Array() };
      drafters.set(key, (group = only(all, (d) => d.ready)));
    }
    compatible += group.list.length;
  }
  const healthy = build(verifiers, drafters, true);
  if (healthy.count > 0) return healthy;
  const any = build(verifiers, drafters, false);
  if (any.count > 0) return any;
  if (compatible > 0) return { kind: "wait", reason: `all ${compatible} compatible pairs are at capacity` };
  // Speculation needs a shared vocabulary and protocol; without them the target still answers, alone.
  const verifier = verifiers
    .map((e) => e.verifier)
    .filter(hasRoom)
    .sort((a, b) => load(a) - load(b) || byId(a, b))[0];
  if (!verifier) return { kind: "wait", reason: `every verifier of '${request.model}' is at capacity` };
  return {
    kind: "alone",
    verifierId: verifier.id,
    reason: `no ready drafter shares a vocabulary and a protocol with the verifiers of '${request.model}'`,
  };
}

/** The usable verifiers with their usable partners; verifiers of one partner key share one list. */
function build(
  verifiers: ReadonlyArray<{ verifier: WorkerView; key: string; kind: number }>,
  drafters: ReadonlyMap<string, { list: WorkerView[]; kinds: Int32Array }>,
  healthyOnly: boolean,
): Candidates {
  const usable = (w: WorkerView) => hasRoom(w) && !(healthyOnly && w.degraded);
  const free = new Map<string, { list: WorkerView[]; kinds: Int32Array }>();
  const entries: CandidateVerifier[] = [];
  let count = 0;
  for (const { verifier, key, kind } of verifiers) {
    if (!usable(verifier)) continue;
    let partners = free.get(key);
    if (!partners) free.set(key, (partners = only(drafters.get(key)!, usable)));
    if (partners.list.length === 0) continue;
    entries.push({ verifier, kind, drafters: partners.list, drafterKinds: partners.kinds });
    count += partners.list.length;
  }
  return { verifiers: entries, count };
}

/** The workers `keep` keeps, with their kinds. */
function only(
  group: { list: readonly WorkerView[]; kinds: Int32Array },
  keep: (w: WorkerView) => boolean,
): { list: WorkerView[]; kinds: Int32Array } {
  const list: WorkerView[] = [];
  const kinds = new Int32Array(group.list.length);
  for (let i = 0; i < group.list.length; i++) {
    const w = group.list[i]!;
    if (!keep(w)) continue;
    kinds[list.length] = group.kinds[i]!;
    list.push(w);
  }
  return { list, kinds: kinds.subarray(0, list.length) };
}

/**
 * The verifiers of the model that may take a session alone: ready, with room, healthy ones only
 * if there is one; each with its kind (`fleetGroups`).
 */
export function freeVerifiers(
  fleet: readonly WorkerView[],
  request: PairingRequest,
  groups: FleetGroups = fleetGroups(fleet),
): Array<{ verifier: WorkerView; kind: number }> {
  const free = (groups.verifiers.get(request.model) ?? []).filter((e) => e.verifier.ready && hasRoom(e.verifier));
  const healthy = free.filter((e) => !e.verifier.degraded);
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
