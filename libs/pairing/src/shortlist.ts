import { allPairs, draftMsOf, minimise, type Candidates } from "./candidates.js";
import type { LoadAwareTuning } from "./tuning.js";
import type { CandidatePair, WorkerView } from "./types.js";

/**
 * The free pair with the highest predicted rate, `score` applied to each prediction. On a large
 * fleet (more than `tuning.exhaustivePairs` pairs) not every pair is predicted: the verifiers
 * are ranked with their fastest partner, the drafters with the best of those verifiers, and
 * every pair of the top `tuning.shortlist` (8) of each is predicted (a pair's rate is nearly a
 * product of its verifier's and its drafter's, so the best pair is among them unless a round
 * trip or an acceptance history says otherwise, and those are counted in the final 64).
 * O(verifiers + drafters) predictions instead of their product.
 */
export function bestPair(
  candidates: Candidates,
  rateOf: (pair: CandidatePair) => number,
  tuning: LoadAwareTuning,
  eligible: (pair: CandidatePair) => boolean = () => true,
): CandidatePair | null {
  const pairs = shortlistPairs(candidates, rateOf, tuning, eligible);
  if (pairs.length === 0) return null;
  return minimise(pairs, (p) => -rateOf(p));
}

/** The pairs `bestPair` chooses among: every eligible pair of a small fleet, else the shortlist. */
export function shortlistPairs(
  candidates: Candidates,
  rateOf: (pair: CandidatePair) => number,
  tuning: LoadAwareTuning,
  eligible: (pair: CandidatePair) => boolean = () => true,
): CandidatePair[] {
  const pairs: CandidatePair[] = [];
  if (candidates.count <= tuning.exhaustivePairs) {
    for (const pair of allPairs(candidates)) if (eligible(pair)) pairs.push(pair);
  } else {
    const speed = (d: WorkerView) => draftMsOf(d, tuning) * (1 + d.activeSessions);
    // Verifiers sharing a vocabulary share one list of partners: find its fastest drafter once.
    const fastest = new Map<readonly WorkerView[], WorkerView>();
    const fastestOf = (drafters: readonly WorkerView[]) => {
      let drafter = fastest.get(drafters);
      if (!drafter) fastest.set(drafters, (drafter = minimise(drafters, speed)));
      return drafter;
    };
    const topVerifiers = highest(
      candidates.verifiers,
      (e) => rateOf({ verifier: e.verifier, drafter: fastestOf(e.drafters) }),
      tuning.shortlist,
    );
    // Drafters are ranked once per vocabulary (one list of partners per fingerprint), with the
    // best verifier of that vocabulary.
    const ranked = new Map<readonly WorkerView[], WorkerView[]>();
    for (const { verifier, drafters } of topVerifiers) {
      let top = ranked.get(drafters);
      if (!top) {
        // Ineligible drafters (low battery, say) must not take shortlist places from eligible ones.
        top = highest(
          drafters,
          (drafter) => {
            const pair = { verifier, drafter };
            return eligible(pair) ? rateOf(pair) : null;
          },
          tuning.shortlist,
        );
        ranked.set(drafters, top);
      }
      for (const drafter of top) if (eligible({ verifier, drafter })) pairs.push({ verifier, drafter });
    }
  }
  return pairs;
}

/**
 * The `count` items of highest score (null: not a candidate), highest first, earlier first on a
 * tie: what a stable sort by descending score and a slice give, in one pass (ranking a thousand drafters per
 * decision, sorting them all was most of the work).
 */
function highest<T>(items: readonly T[], score: (item: T) => number | null, count: number): T[] {
  const top: T[] = [];
  const scores: number[] = [];
  for (const item of items) {
    const s = score(item);
    if (s === null || (top.length === count && !(s > scores[count - 1]!))) continue;
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
