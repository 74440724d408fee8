import {
  allPairs,
  canPair,
  candidatePairs,
  draftMsOf,
  hasRoom,
  isDecision,
  minimise,
  onLowBattery,
  type Candidates,
  withoutSession,
} from "./candidates.js";
import { predictPairRate, verifyCostLine } from "./load-aware.js";
import { shortlistPairs } from "./shortlist.js";
import { PAIRING_TUNING_DEFAULTS, type PairingTuning } from "./tuning.js";
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

/**
 * Which live sessions to re-pair now: for each, the predicted rate of its pair (libs/pairing's
 * load-aware prediction, the session itself not counted as load) against the best free pair's;
 * a session moves when the gain is at least `minGain` (`verifierMoveGain` if its verifier
 * changes) and the time it saves over its remaining tokens outweighs, `costFactor` times over,
 * the cost of moving: the new verifier prefilling the committed tokens (a + b·n from its
 * profile), or for a drafter-only move the new drafter prefilling them (`drafterPrefillShare`
 * of drafting them one by one). A drafter that slowed down, or whose pair's acceptance fell,
 * shows up as a lower predicted rate; one on low battery counts at `lowBatteryWeight` of its
 * rate, and is never a destination. At most `maxMoves` moves, those saving most. The values
 * are `tuning.rebalance`; the predictions take `tuning.loadAware`.
 */
export function rebalanceMoves(
  sessions: readonly LiveSession[],
  fleet: readonly WorkerView[],
  context: PairingContext = {},
  tuning: PairingTuning = PAIRING_TUNING_DEFAULTS,
): Move[] {
  const options = tuning.loadAware;
  const { minGain, verifierMoveGain, costFactor, maxMoves, lowBatteryWeight } = tuning.rebalance;
  const moves: Move[] = [];
  const byId = new Map(fleet.map((w) => [w.id, w]));
  // Per model, once per call: the free pairs (the same for every session) and, on a large
  // fleet, their shortlist as `bestPair` builds it (the top verifiers and drafters, predicted as
  // they stand). A session then weighs that shortlist, plus its own verifier with the shortlist's
  // drafters and the shortlist's verifiers with its own drafter (its own load off them is the
  // one thing that differs between sessions): some 80 predictions a session instead of a
  // thousand, for the same pairs `bestPair` would reach.
  const broker: PairingContext = { ...context, roundTripMs: undefined };
  const measured = (pair: CandidatePair) => context.roundTripMs?.(pair.drafter.id, pair.verifier.id) !== undefined;
  const charged = (pair: CandidatePair) => !onLowBattery(pair.drafter, options.lowBattery);
  const perModel = new Map<
    string,
    {
      pairs: CandidatePair[];
      large: boolean;
      free: Set<string>;
      verifiers: WorkerView[];
      drafters: WorkerView[];
    } | null
  >();
  const forModel = (model: string) => {
    if (!perModel.has(model)) {
      const found = candidatePairs(fleet, { model });
      if (isDecision(found) && found.kind === "none") perModel.set(model, null);
      else {
        const candidates: Candidates = isDecision(found) ? { verifiers: [], count: 0 } : found;
        const rate = (pair: CandidatePair) => predictPairRate(pair, context, options);
        const large = candidates.count > options.exhaustivePairs;
        const pairs = large
          ? shortlistPairs(candidates, rate, options, {
              eligible: (drafter) => !onLowBattery(drafter, options.lowBattery),
              measured: (verifier, drafter) => measured({ verifier, drafter }),
            })
          : [...allPairs(candidates)];
        // Partners for a session's own verifier or drafter: the shortlist's on a large fleet, else every free one.
        const verifiers = large
          ? [...new Set(pairs.map((p) => p.verifier))]
          : fleet.filter((w) => w.role === "verifier" && w.ready && w.modelName === model && hasRoom(w));
        const drafters = large
          ? [...new Set(pairs.map((p) => p.drafter))]
          : fleet.filter((w) => w.role === "drafter" && w.ready && hasRoom(w));
        const free = new Set([...verifiers, ...drafters].map((w) => w.id));
        perModel.set(model, { pairs, large, free, verifiers, drafters });
      }
    }
    return perModel.get(model)!;
  };
  for (const session of sessions) {
    const verifier = byId.get(session.verifierId);
    const drafter = session.drafterId === null ? undefined : byId.get(session.drafterId);
    if (!verifier || !drafter) continue; // lost workers are failover's business, lone sessions the attacher's
    // A drafter on low battery should be left: staying there counts as half its rate.
    const battery = onLowBattery(drafter, options.lowBattery) ? lowBatteryWeight : 1;
    const here = { verifier: withoutSession(verifier), drafter: withoutSession(drafter) };
    // A pair with no measured round yet (a session just opened, resumed or moved) could only be
    // judged on broker round trips, which a busy worker inflates: the session stays until its
    // rounds say how the pair does, unless its drafter must be left (low battery).
    if (battery === 1 && !measured(here)) continue;
    const current = battery * predictPairRate(here, context, options);
    const model = forModel(session.request.model);
    if (!model) continue;
    // Staying on one of its workers: the session's own load there does not count.
    const own = (w: WorkerView) => (w.id === verifier.id || w.id === drafter.id ? withoutSession(w) : w);
    const rateOf = (pair: CandidatePair) =>
      predictPairRate({ verifier: own(pair.verifier), drafter: own(pair.drafter) }, context, options);
    const eligible = (pair: CandidatePair) =>
      !(pair.verifier.id === verifier.id && pair.drafter.id === drafter.id) && charged(pair);
    // Its own verifier and drafter are always open to it (its own slot), full or not.
    const pool = [...model.pairs];
    if (model.large || !model.free.has(verifier.id))
      for (const d of model.drafters) if (canPair(verifier, d)) pool.push({ verifier, drafter: d });
    if (model.large || !model.free.has(drafter.id))
      for (const v of model.verifiers) if (canPair(v, drafter)) pool.push({ verifier: v, drafter });
    const eligiblePool = pool.filter(eligible);
    const elsewhere = eligiblePool.length > 0 ? minimise(eligiblePool, (p) => -rateOf(p)) : null;
    const best = elsewhere && {
      pair: elsewhere,
      rate: rateOf(elsewhere),
      costMs: moveCostMs(session, elsewhere, verifier.id, tuning),
    };
    if (!best) continue;
    // A pair never measured is compared with the session's on the same footing (both from the
    // broker round trips), not with its measured round trip: a measurement holds queueing and
    // message work that an estimate does not, and the session would chase unmeasured pairs.
    const from = measured(here) && !measured(best.pair) ? battery * predictPairRate(here, broker, options) : current;
    if (best.rate < from * (1 + (best.pair.verifier.id === verifier.id ? minGain : verifierMoveGain))) continue;
    const savedMs = session.remainingTokens * (1000 / from - 1000 / best.rate) - best.costMs;
    if (savedMs <= best.costMs * (costFactor - 1)) continue;
    moves.push({
      sessionId: session.sessionId,
      verifierId: best.pair.verifier.id,
      drafterId: best.pair.drafter.id,
      from,
      to: best.rate,
      savedMs,
    });
  }
  return moves.sort((a, b) => b.savedMs - a.savedMs).slice(0, maxMoves);
}

function moveCostMs(session: LiveSession, pair: CandidatePair, currentVerifier: string, tuning: PairingTuning): number {
  if (pair.verifier.id !== currentVerifier) {
    const { a, b } = verifyCostLine(pair.verifier);
    return a + b * session.committedTokens;
  }
  return draftMsOf(pair.drafter, tuning.loadAware) * session.committedTokens * tuning.rebalance.drafterPrefillShare;
}
