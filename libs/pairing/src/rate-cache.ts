import type { CandidatePair, PairingContext, WorkerView } from "./types.js";

/** Cleared past this many remembered pairs (a bound on memory, not a tuning value). */
const MAX_ENTRIES = 200_000;

interface Remembered {
  sessions: number;
  rate: number;
}

/** Per number of sessions on the verifier, the drafters' rates against it. */
type VerifierRates = Array<Map<WorkerView, Remembered> | undefined>;

/**
 * Pair rates predicted by earlier decisions, reused while nothing they stand on changed: the same
 * verifier and drafter views with the same sessions each (a verifier's are kept for each of its
 * loads: its sessions come and go), and a pairing context at the same
 * `revision` (a context without one is never cached). Between two decisions a pass changes the
 * sessions of a few workers; the load-aware shortlist ranks every free drafter against the best
 * verifier, so all but those few are predicted again for nothing.
 *
 * A view's fields other than `activeSessions` are taken as fixed for its life: the scheduler
 * makes new views for each fleet snapshot, DSD-Sim changes only sessions.
 */
export class PairRateCache {
  private revision: number | undefined;
  private verifiers = new Map<WorkerView, VerifierRates>();
  private entries = 0;

  rate(pair: CandidatePair, context: PairingContext | undefined, predict: (pair: CandidatePair) => number): number {
    const revision = context?.revision;
    if (revision === undefined) return predict(pair);
    if (revision !== this.revision || this.entries > MAX_ENTRIES) {
      this.revision = revision;
      this.verifiers = new Map();
      this.entries = 0;
    }
    const { verifier, drafter } = pair;
    let byLoad = this.verifiers.get(verifier);
    if (!byLoad) this.verifiers.set(verifier, (byLoad = []));
    let rates = byLoad[verifier.activeSessions];
    if (!rates) byLoad[verifier.activeSessions] = rates = new Map();
    const seen = rates.get(drafter);
    if (seen && seen.sessions === drafter.activeSessions) return seen.rate;
    const rate = predict(pair);
    if (seen) {
      seen.sessions = drafter.activeSessions;
      seen.rate = rate;
    } else {
      rates.set(drafter, { sessions: drafter.activeSessions, rate });
      this.entries++;
    }
    return rate;
  }
}
