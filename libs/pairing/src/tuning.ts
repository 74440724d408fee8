import { z } from "zod";

/**
 * The load-aware policy's tuning values (libs/pairing/README.md explains each, with its formula).
 * Declared once, as a schema: the defaults, the bounds a value must keep and the type all come
 * from here; the scheduler's environment (libs/config) and DSD-Sim's `policies.tuning` are
 * validated by it.
 */
export const loadAwareTuningSchema = z
  .object({
    /** α assumed for a drafter model and a target model never seen together. */
    priorAcceptance: z.number().min(0).max(1).default(0.6),
    /** Round trip assumed for a pair whose round trip and whose workers' broker round trips are unknown, ms. */
    defaultRoundTripMs: z.number().nonnegative().default(5),
    /** ms per drafted token assumed for a drafter that measured none (PROFILE_AT_START=false). */
    defaultDraftMsPerToken: z.number().positive().default(1),
    /** A drafter on battery below this charge is chosen only when no other is free (and never as a move's destination). */
    lowBattery: z.number().min(0).max(1).default(0.2),
    /**
     * Largest window a prediction for a remote pair considers (further capped by each drafter's
     * own MAX_WINDOW). A verifier drafting for itself is predicted up to its SELF_DRAFT_MAX_WINDOW.
     */
    maxWindow: z.number().int().min(0).max(64).default(12),
    /**
     * A round's work in a worker's process besides the forward pass (decoding, checking and
     * answering messages, journalling), ms: each other session on the drafter or the verifier
     * adds it to every round, as it does not batch. bench:round measured a fleet round at
     * 1.5–3 ms more than the same round in one process, for both sides together.
     */
    roundOverheadMs: z.number().nonnegative().default(1),
    /**
     * Tokens each other session on a verifier adds to its decodes, for a session decoding alone
     * there: alone rounds ride in the same batches as the others' windows (γ = 4 adds 5).
     */
    othersDecodeTokens: z.number().nonnegative().default(5),
    /** Wait for a full pair only when it is predicted to finish the request this much sooner than the best free option (0.25: 25%). */
    waitGain: z.number().nonnegative().default(0.25),
    /** Fleets of up to this many workers weigh waiting for a full pair (every pair is predicted, free or not). */
    waitMaxWorkers: z.number().int().nonnegative().default(32),
    /** Up to this many free pairs every one is predicted; beyond, a shortlist. */
    exhaustivePairs: z.number().int().min(1).default(256),
    /** The shortlist: this many top verifiers, each with this many top drafters. */
    shortlist: z.number().int().min(1).default(8),
  })
  .strict();
export type LoadAwareTuning = z.output<typeof loadAwareTuningSchema>;

/** The rebalancer's tuning values (`rebalanceMoves`; libs/pairing/README.md). */
export const rebalanceTuningSchema = z
  .object({
    /** Move only for at least this relative gain in predicted rate when the verifier stays (hysteresis). */
    minGain: z.number().nonnegative().default(0.2),
    /**
     * …and at least this much when the move changes verifier: the session is released, queued
     * and resumed from its journal, and estimates of a few percent (a busy worker's broker round
     * trip, say) must not move it.
     */
    verifierMoveGain: z.number().nonnegative().default(0.5),
    /** …and only when the time saved over the rest of the session is this many times the cost of moving. */
    costFactor: z.number().min(1).default(2),
    /** At most this many moves per call, the ones that save most (no herd onto one idle worker). */
    maxMoves: z.number().int().nonnegative().default(1),
    /** A session on a drafter on low battery counts its pair at this share of its predicted rate (so it leaves). */
    lowBatteryWeight: z.number().positive().max(1).default(0.5),
    /** A new drafter prefills the committed tokens at this share of drafting them one by one (a drafter-only move's cost). */
    drafterPrefillShare: z.number().nonnegative().default(0.25),
  })
  .strict();
export type RebalanceTuning = z.output<typeof rebalanceTuningSchema>;

export const pairingTuningSchema = z
  .object({ loadAware: loadAwareTuningSchema.prefault({}), rebalance: rebalanceTuningSchema.prefault({}) })
  .strict();
export type PairingTuning = z.output<typeof pairingTuningSchema>;
export type PairingTuningInput = z.input<typeof pairingTuningSchema>;

/** Every value at its default. */
export const PAIRING_TUNING_DEFAULTS: Readonly<PairingTuning> = Object.freeze(pairingTuningSchema.parse({}));
