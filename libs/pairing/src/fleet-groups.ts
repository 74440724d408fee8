import type { WorkerView } from "./types.js";

/**
 * The fleet's workers as every decision groups them: the verifiers of each target model, and the
 * drafters of each partner key (vocabulary and protocol), each list in id order, ready or not
 * (readiness and room are read at each decision). Built once per fleet array and kept while the
 * array holds the same workers with the same ids, roles, models, vocabularies and protocols: the
 * scheduler keeps one array per fleet snapshot, DSD-Sim one for a whole run, so a decision no
 * longer groups and sorts thousands of workers (it did, twice, on every call).
 *
 * Each worker also gets a `kind`: workers of one kind are predicted alike at equal sessions
 * (`predictionSignature`), so the shortlist predicts a kind once, not each of its workers.
 */
export interface FleetGroups {
  /** Per target model, its verifiers in id order, each with its partner key and its `kind`. */
  verifiers: ReadonlyMap<string, ReadonlyArray<{ verifier: WorkerView; key: string; kind: number }>>;
  /** Per partner key, the drafters in id order. */
  drafters: ReadonlyMap<string, readonly WorkerView[]>;
  /** Per partner key, each drafter's `kind`, in the order of `drafters`. */
  drafterKinds: ReadonlyMap<string, Int32Array>;
}

/**
 * What a pair must share (ARCHITECTURE invariant 4, and the protocol): the same key for the same
 * vocabulary and protocol, an unknown protocol its own value. Equal exactly when `partnerKey`'s are.
 */
export const groupKey = (w: Pick<WorkerView, "vocabFingerprint" | "protocol">): string =>
  `${w.vocabFingerprint.length}:${w.vocabFingerprint}${w.protocol === undefined ? "" : `:${w.protocol}`}`;

export const byId = (a: WorkerView, b: WorkerView) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

interface Cached {
  groups: FleetGroups;
  /** The workers, and the fields the groups stand on, as they were when built. */
  members: WorkerView[];
  ids: string[];
  roles: Array<WorkerView["role"]>;
  models: string[];
  vocabularies: string[];
  protocols: Array<string | undefined>;
}

const cache = new WeakMap<readonly WorkerView[], Cached>();

/** The groups of `fleet`: kept while it holds the same workers, unchanged (checked at each call, O(n), no allocation). */
export function fleetGroups(fleet: readonly WorkerView[]): FleetGroups {
  const cached = cache.get(fleet);
  if (cached && unchanged(fleet, cached)) return cached.groups;
  const built: Cached = {
    groups: group(fleet),
    members: [...fleet],
    ids: fleet.map((w) => w.id),
    roles: fleet.map((w) => w.role),
    models: fleet.map((w) => w.modelName),
    vocabularies: fleet.map((w) => w.vocabFingerprint),
    protocols: fleet.map((w) => w.protocol),
  };
  cache.set(fleet, built);
  return built.groups;
}

/** A view's id, role, model and partner key are fixed for its life; one changed in place is noticed here. */
function unchanged(fleet: readonly WorkerView[], cached: Cached): boolean {
  if (fleet.length !== cached.members.length) return false;
  for (let i = 0; i < fleet.length; i++) {
    const w = fleet[i]!;
    if (
      w !== cached.members[i] ||
      w.id !== cached.ids[i] ||
      w.role !== cached.roles[i] ||
      w.modelName !== cached.models[i] ||
      w.vocabFingerprint !== cached.vocabularies[i] ||
      w.protocol !== cached.protocols[i]
    )
      return false;
  }
  return true;
}

function group(fleet: readonly WorkerView[]): FleetGroups {
  const verifiers = new Map<string, Array<{ verifier: WorkerView; key: string; kind: number }>>();
  const drafters = new Map<string, WorkerView[]>();
  const kinds = new Map<string, number>();
  const kindOf = (w: WorkerView) => {
    const signature = predictionSignature(w);
    let kind = kinds.get(signature);
    if (kind === undefined) kinds.set(signature, (kind = kinds.size));
    return kind;
  };
  const drafterKinds = new Map<string, number[]>();
  const sorted = [...fleet].sort(byId);
  for (const w of sorted) {
    if (w.role === "verifier") {
      const list = verifiers.get(w.modelName);
      const entry = { verifier: w, key: groupKey(w), kind: kindOf(w) };
      if (list) list.push(entry);
      else verifiers.set(w.modelName, [entry]);
    } else {
      const key = groupKey(w);
      const list = drafters.get(key);
      if (list) {
        list.push(w);
        drafterKinds.get(key)!.push(kindOf(w));
      } else {
        drafters.set(key, [w]);
        drafterKinds.set(key, [kindOf(w)]);
      }
    }
  }
  return {
    verifiers,
    drafters,
    drafterKinds: new Map([...drafterKinds].map(([key, list]) => [key, Int32Array.from(list)])),
  };
}

/**
 * Workers of one kind at equal sessions, as one number: what is predicted once for them all
 * (null past a million sessions: such a worker is predicted on its own).
 */
export const alike = (kind: number, w: Pick<WorkerView, "activeSessions">): number | null =>
  w.activeSessions < 1 << 20 ? kind * (1 << 20) + w.activeSessions : null;

/**
 * Everything of a worker a prediction reads besides its id and its sessions (load-aware
 * `predictPairRate`, `predictAloneRate`): two workers with the same signature and the same
 * sessions (and, in a pair, no measured link to the other side) are predicted alike. Made of a
 * view's fixed fields (as `PairRateCache` takes them), like the groups.
 */
function predictionSignature(w: WorkerView): string {
  const { role, modelName, vocabFingerprint, protocol, brokerRttMs, profile, drafting } = w;
  const speed = role === "verifier" ? [profile?.verifyMsByWindow, profile?.selfDraft] : profile?.draftMsPerToken;
  return JSON.stringify([role, modelName, vocabFingerprint, protocol, brokerRttMs, speed, drafting]);
}
