import { z } from "zod";
import { loadAwareTuningSchema, rebalanceTuningSchema, type PairingTuning } from "#pairing";

const loadAware = loadAwareTuningSchema.shape;
const rebalance = rebalanceTuningSchema.shape;

/** A variable holding one tuning value: its default and bounds are the tuning field's own (libs/pairing `tuning.ts`). */
const tuningVar = <F extends z.ZodType<number, number | undefined>>(field: F) =>
  z.coerce.number().optional().pipe(field);

/**
 * The scheduler's variables for the load-aware policy's and the rebalancer's tuning values; what
 * each means, its formula and its default: libs/pairing/README.md ("Tuning").
 */
export const pairingTuningVars = {
  /** α assumed for a drafter model never seen against the target [0.6]. */
  LOAD_AWARE_PRIOR_ACCEPTANCE: tuningVar(loadAware.priorAcceptance),
  /** Round trip assumed for a pair nothing is known of, ms [5]. */
  LOAD_AWARE_DEFAULT_RTT_MS: tuningVar(loadAware.defaultRoundTripMs),
  /** ms per drafted token assumed for a drafter that measured none [1]. */
  LOAD_AWARE_DEFAULT_DRAFT_MS_PER_TOKEN: tuningVar(loadAware.defaultDraftMsPerToken),
  /** A drafter on battery below this charge is chosen only when no other is free [0.2]. */
  LOAD_AWARE_LOW_BATTERY: tuningVar(loadAware.lowBattery),
  /** Largest window a prediction considers [12]. */
  LOAD_AWARE_MAX_WINDOW: tuningVar(loadAware.maxWindow),
  /** Per-process work of a round for each session on either worker, ms [1]. */
  LOAD_AWARE_ROUND_OVERHEAD_MS: tuningVar(loadAware.roundOverheadMs),
  /** Tokens each other session adds to a verifier's decodes, for a session alone there [5]. */
  LOAD_AWARE_OTHERS_DECODE_TOKENS: tuningVar(loadAware.othersDecodeTokens),
  /** Wait for a full pair only if it finishes the request this much sooner (0.25: 25%) [0.25]. */
  LOAD_AWARE_WAIT_GAIN: tuningVar(loadAware.waitGain),
  /** Fleets of up to this many workers weigh waiting for a full pair [32]. */
  LOAD_AWARE_WAIT_MAX_WORKERS: tuningVar(loadAware.waitMaxWorkers),
  /** Up to this many free pairs every one is predicted; beyond, a shortlist [256]. */
  LOAD_AWARE_EXHAUSTIVE_PAIRS: tuningVar(loadAware.exhaustivePairs),
  /** The shortlist's top verifiers and top drafters each [8]. */
  LOAD_AWARE_SHORTLIST: tuningVar(loadAware.shortlist),
  /** A move keeping the verifier needs this relative gain in predicted rate [0.2]. */
  SCHEDULER_REBALANCE_MIN_GAIN: tuningVar(rebalance.minGain),
  /** A move changing the verifier needs this relative gain [0.5]. */
  SCHEDULER_REBALANCE_VERIFIER_MOVE_GAIN: tuningVar(rebalance.verifierMoveGain),
  /** …and the time saved must be this many times the cost of moving [2]. */
  SCHEDULER_REBALANCE_COST_FACTOR: tuningVar(rebalance.costFactor),
  /** Moves per rebalancing pass at most [1]. */
  SCHEDULER_REBALANCE_MAX_MOVES: tuningVar(rebalance.maxMoves),
  /** A pair whose drafter is on low battery counts at this share of its predicted rate [0.5]. */
  SCHEDULER_REBALANCE_LOW_BATTERY_WEIGHT: tuningVar(rebalance.lowBatteryWeight),
  /** A new drafter's prefill of the committed tokens, as a share of drafting them [0.25]. */
  SCHEDULER_REBALANCE_DRAFTER_PREFILL_SHARE: tuningVar(rebalance.drafterPrefillShare),
};

type PairingTuningConfig = { [K in keyof typeof pairingTuningVars]: z.output<(typeof pairingTuningVars)[K]> };

/** The scheduler's configuration as the tuning that `createPairingPolicy` and `rebalanceMoves` take. */
export function pairingTuningOf(config: PairingTuningConfig): PairingTuning {
  return {
    loadAware: {
      priorAcceptance: config.LOAD_AWARE_PRIOR_ACCEPTANCE,
      defaultRoundTripMs: config.LOAD_AWARE_DEFAULT_RTT_MS,
      defaultDraftMsPerToken: config.LOAD_AWARE_DEFAULT_DRAFT_MS_PER_TOKEN,
      lowBattery: config.LOAD_AWARE_LOW_BATTERY,
      maxWindow: config.LOAD_AWARE_MAX_WINDOW,
      roundOverheadMs: config.LOAD_AWARE_ROUND_OVERHEAD_MS,
      othersDecodeTokens: config.LOAD_AWARE_OTHERS_DECODE_TOKENS,
      waitGain: config.LOAD_AWARE_WAIT_GAIN,
      waitMaxWorkers: config.LOAD_AWARE_WAIT_MAX_WORKERS,
      exhaustivePairs: config.LOAD_AWARE_EXHAUSTIVE_PAIRS,
      shortlist: config.LOAD_AWARE_SHORTLIST,
    },
    rebalance: {
      minGain: config.SCHEDULER_REBALANCE_MIN_GAIN,
      verifierMoveGain: config.SCHEDULER_REBALANCE_VERIFIER_MOVE_GAIN,
      costFactor: config.SCHEDULER_REBALANCE_COST_FACTOR,
      maxMoves: config.SCHEDULER_REBALANCE_MAX_MOVES,
      lowBatteryWeight: config.SCHEDULER_REBALANCE_LOW_BATTERY_WEIGHT,
      drafterPrefillShare: config.SCHEDULER_REBALANCE_DRAFTER_PREFILL_SHARE,
    },
  };
}
