import { candidatePairs, isDecision } from "./candidates.js";
import { bestPair, LOAD_AWARE_DEFAULTS, onLowBattery, predictPairRate, verifyCostLine, type LoadAwareOptions } from "./load-aware.js";
import type { CandidatePair, PairingContext, PairingRequest, WorkerView } from "./types.js";

/** A running session as the rebalancer sees it. */
export interface LiveSession {
  sessionId: string;
  request: PairingRequest;
  verifierId: string;
  /** null: decoding alone at its verifier. */
  drafterId: string | null;
  /** Prompt and generated tokens so far: what a new worker must prefill. */
  committedTokens: number;
  /** Tokens still to generate (an estimate). */
  remainingTokens: number;
}

export interface Move {
  sessionId: string;
  verifierId: string;
  drafterId: string;
  /** Predicted tokens/s now and after the move. */
  from: number;
  to: number;
  /** Predicted ms saved over the rest of the session, net of the move's cost. */
  savedMs: number;
}

export interface RebalanceOptions extends LoadAwareOptions {
  /** Move only for at least this relative gain in predicted rate (hysteresis). */
  minGain: number;
  /**
   * …and at least this much when the move changes verifier: the session is released, queued
   * and resumed from its journal, and estimates of a few percent (a busy worker's broker round
   * trip, say) must not move it.
   */
  verifierMoveGain: number;
  /** …and when the time saved is this many times the cost of moving. */
  costFactor: number;
  /** At most this many moves per call, best first (no herd onto one idle worker). */
  maxMoves: number;
}

export const REBALANCE_DEFAULTS: RebalanceOptions = { ...LOAD_AWARE_DEFAULTS, minGain: 0.2, verifierMoveGain: 0.5, costFactor: 2, maxMoves: 1 };

/**
 * Which live sessions to re-pair now: for each, the predicted rate of its pair (libs/pairing's
 * load-aware prediction, the session itself not counted as load) against the best free pair's;
 * a session moves when the gain is at least `minGain` and the time it saves over its remaining
 * tokens outweighs, `costFactor` times over, the cost of moving: the new verifier prefilling
 * the committed tokens (a + b·n from its profile), or for a drafter-only move the new drafter
 * prefilling them (about a quarter of drafting them one by one). A drafter that slowed down, or
 * whose pair's acceptance fell, shows up as a lower predicted rate; one on low battery counts
 * at half its rate, and is never a destination.
 */
export function rebalanceMoves(
  sessions: readonly LiveSession[],
  fleet: readonly WorkerView[],
  context: PairingContext = {},
  options: RebalanceOptions = REBALANCE_DEFAULTS,
): Move[] {
  const moves: Move[] = [];
  const byId = new Map(fleet.map((w) => [w.id, w]));
  for (const session of sessions) {
    const verifier = byId.get(session.verifierId);
    const drafter = session.drafterId === null ? undefined : byId.get(session.drafterId);
    if (!verifier || !drafter) continue; // lost workers are failover's business, lone sessions the attacher's
    // A drafter on low battery should be left: staying there counts as half its rate.
    const battery = onLowBattery(drafter, options.lowBattery) ? 0.5 : 1;
    const current = battery * predictPairRate({ verifier: without(verifier), drafter: without(drafter) }, context, options);
    const candidates = candidatePairs(fleet, session.request);
    if (isDecision(candidates)) continue;
    // Staying on one of its workers: the session's own load there does not count.
    const own = (w: WorkerView) => (w.id === verifier.id || w.id === drafter.id ? without(w) : w);
    const rateOf = (pair: CandidatePair) => predictPairRate({ verifier: own(pair.verifier), drafter: own(pair.drafter) }, context, options);
    const elsewhere = bestPair(
      candidates,
      rateOf,
      (pair) => !(pair.verifier.id === verifier.id && pair.drafter.id === drafter.id) && !onLowBattery(pair.drafter, options.lowBattery),
    );
    const best = elsewhere && { pair: elsewhere, rate: rateOf(elsewhere), costMs: moveCostMs(session, elsewhere, verifier.id) };
    if (!best) continue;
    // A pair never measured is compared with the session's on the same footing (both from the
    // broker round trips), not with its measured round trip: a measurement holds queueing and
    // message work that an estimate does not, and the session would chase unmeasured pairs.
    const measured = (pair: CandidatePair) => context.roundTripMs?.(pair.drafter.id, pair.verifier.id) !== undefined;
    const here = { verifier: without(verifier), drafter: without(drafter) };
    const from = measured(here) && !measured(best.pair) ? battery * predictPairRate(here, { ...context, roundTripMs: undefined }, options) : current;
    if (best.rate < from * (1 + (best.pair.verifier.id === verifier.id ? options.minGain : options.verifierMoveGain))) continue;
    const savedMs = session.remainingTokens * (1000 / from - 1000 / best.rate) - best.costMs;
    if (savedMs <= best.costMs * (options.costFactor - 1)) continue;
    moves.push({ sessionId: session.sessionId, verifierId: best.pair.verifier.id, drafterId: best.pair.drafter.id, from, to: best.rate, savedMs });
  }
  return moves.sort((a, b) => b.savedMs - a.savedMs).slice(0, options.maxMoves);
}

/** The session's own load on a worker does not count against staying there. */
function without(worker: WorkerView): WorkerView {
  return { ...worker, activeSessions: Math.max(0, worker.activeSessions - 1) };
}

function moveCostMs(session: LiveSession, pair: CandidatePair, currentVerifier: string): number {
  if (pair.verifier.id !== currentVerifier) {
    const { a, b } = verifyCostLine(pair.verifier);
    return a + b * session.committedTokens;
  }
  return ((pair.drafter.profile?.draftMsPerToken ?? 1) * session.committedTokens) / 4;
}
