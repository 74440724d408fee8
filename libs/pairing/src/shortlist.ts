import { allPairs, draftMsOf, minimise, type Candidates } from "./candidates.js";
import { alike } from "./fleet-groups.js";
import type { LoadAwareTuning } from "./tuning.js";
import type { CandidatePair, WorkerView } from "./types.js";

/** Which pairs the shortlist may take, and which it must predict on their own. */
export interface ShortlistFilter {
  /** Drafters that may be chosen (load-aware leaves those on low battery aside); every one by default. */
  eligible?: (drafter: WorkerView) => boolean;
  /**
   * Pairs predicted from something of their own beyond their workers' kinds and sessions (a
   * measured round trip): never taken as alike their kind. Every pair by default.
   */
  measured?: (verifier: WorkerView, drafter: WorkerView) => boolean;
}

/**
 * The free pair with the highest predicted rate, `score` applied to each prediction. On a large
 * fleet (more than `tuning.exhaustivePairs` pairs) not every pair is predicted: the verifiers
 * are ranked with their fastest partner, the drafters with the best of those verifiers, and
 * every pair of the top `tuning.shortlist` (8) of each is predicted (a pair's rate is nearly a
 * product of its verifier's and its drafter's, so the best pair is among them unless a round
 * trip or an acceptance history says otherwise, and those are counted in the final 64).
 * O(verifiers + drafters) predictions instead of their product; fewer, as workers of one kind
 * (`fleetGroups`) at equal sessions are predicted once.
 */
export function bestPair(
  candidates: Candidates,
  rateOf: (pair: CandidatePair) => number,
  tuning: LoadAwareTuning,
  filter: ShortlistFilter = {},
): CandidatePair | null {
  const pairs = shortlistPairs(candidates, rateOf, tuning, filter);
  if (pairs.length === 0) return null;
  return minimise(pairs, (p) => -rateOf(p));
}

/** The pairs `bestPair` chooses among: every eligible pair of a small fleet, else the shortlist. */
export function shortlistPairs(
  candidates: Candidates,
  rateOf: (pair: CandidatePair) => number,
  tuning: LoadAwareTuning,
  filter: ShortlistFilter = {},
): CandidatePair[] {
  const eligible = filter.eligible ?? (() => true);
  const measured = filter.measured ?? (() => true);
  const pairs: CandidatePair[] = [];
  if (candidates.count <= tuning.exhaustivePairs) {
    for (const pair of allPairs(candidates)) if (eligible(pair.drafter)) pairs.push(pair);
    return pairs;
  }
  const speed = (d: WorkerView) => draftMsOf(d, tuning) * (1 + d.activeSessions);
  // Verifiers sharing a vocabulary share one list of partners: find its fastest drafter once.
  const fastest = new Map<readonly WorkerView[], WorkerView>();
  const fastestOf = (drafters: readonly WorkerView[]) => {
    let drafter = fastest.get(drafters);
    if (!drafter) fastest.set(drafters, (drafter = minimise(drafters, speed)));
    return drafter;
  };
  // Alike verifiers (one kind, one partner list, so one fastest partner) at equal sessions rank alike.
  const topVerifiers = highest(
    candidates.verifiers,
    (e) => {
      const drafter = fastestOf(e.drafters);
      return measured(e.verifier, drafter) ? null : alike(e.kind, e.verifier);
    },
    (e) => rateOf({ verifier: e.verifier, drafter: fastestOf(e.drafters) }),
    tuning.shortlist,
  );
  // Drafters are ranked once per vocabulary (one list of partners per fingerprint), with the
  // best verifier of that vocabulary.
  const ranked = new Map<readonly WorkerView[], WorkerView[]>();
  for (const { verifier, drafters, drafterKinds } of topVerifiers) {
    let top = ranked.get(drafters);
    if (!top) {
      // Ineligible drafters (low battery, say) must not take shortlist places from eligible ones.
      top = highest(
        drafters,
        (drafter, i) => (measured(verifier, drafter) ? null : alike(drafterKinds[i]!, drafter)),
        (drafter) => rateOf({ verifier, drafter }),
        tuning.shortlist,
        eligible,
      );
      ranked.set(drafters, top);
    }
    for (const drafter of top) pairs.push({ verifier, drafter });
  }
  return pairs;
}

/**
 * The `count` items of highest score among those `include` keeps, highest first, earlier first on a
 * tie: what a stable sort by descending score and a slice give, in one pass (ranking a thousand
 * drafters per decision, sorting them all was most of the work). Items of one `likeness` (null:
 * like no other) score alike: the first is scored for all, and past the first `count` of a
 * likeness the rest are skipped (each would tie `count` earlier ones, and ties keep the earlier).
 */
function highest<T>(
  items: readonly T[],
  likeness: (item: T, index: number) => number | null,
  score: (item: T) => number,
  count: number,
  include: (item: T) => boolean = () => true,
): T[] {
  const top: T[] = [];
  const scores: number[] = [];
  const seen = new Map<number, { score: number; taken: number }>();
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (!include(item)) continue;
    const like = likeness(item, i);
    let s: number;
    if (like === null) s = score(item);
    else {
      const known = seen.get(like);
      if (known === undefined) seen.set(like, { score: (s = score(item)), taken: 1 });
      else if (known.taken >= count) continue;
      else {
        s = known.score;
        known.taken++;
      }
    }
    if (top.length === count && !(s > scores[count - 1]!)) continue;
    let at = top.length;
    while (at > 0 && scores[at - 1]! < s) at--;
    top.splice(at, 0, item);
    scores.splice(at, 0, s);
    if (top.length > count) {
      top.pop();
      scores.pop();
    }
  }
  return top;
}
