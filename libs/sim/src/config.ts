import { isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { BATCHING_POLICY_NAMES } from "#batching";
import { PAIRING_POLICY_NAMES, pairingTuningSchema } from "#pairing";
import { QUEUE_PASS_DEFAULTS } from "#placement";
import { WINDOW_POLICY_NAMES } from "#window";

/** A number, or [min, max] drawn uniformly per use. */
const range = z
  .union([z.number().nonnegative(), z.tuple([z.number().nonnegative(), z.number().nonnegative()])])
  .transform((v) => (typeof v === "number" ? { min: v, max: v } : { min: Math.min(...v), max: Math.max(...v) }));
export type Range = z.output<typeof range>;

/** One leg between a device and the message broker (a message crosses two: sender's and receiver's). */
export const linkSchema = z
  .object({
    /** Round trip to the broker, ms: a number, or [min, max] drawn per message. */
    rttMs: range.prefault(0),
    /** Normal jitter's standard deviation added to each one-way trip, ms (never below 0 in total). */
    jitterMs: z.number().nonnegative().default(0),
    bandwidthMbps: z.number().positive().default(1000),
    /** Probability that a message is lost and sent again after `retransmitMs`. */
    loss: z.number().min(0).max(0.9).default(0),
    retransmitMs: z.number().positive().default(200),
  })
  .strict();
export type LinkConfig = z.output<typeof linkSchema>;

/** How often the target accepts a drafter's tokens. */
export const acceptanceSchema = z.discriminatedUnion("kind", [
  /** Position i of a window (0-based) is accepted with α · decay^i, given those before it were. */
  z
    .object({ kind: z.literal("rate"), alpha: z.number().min(0).max(1), decay: z.number().min(0).max(1).default(1) })
    .strict(),
  /**
   * Measured: counts[k] rounds accepted k tokens, at window counts.length − 1 (the last entry:
   * every token accepted). Longer windows continue at the histogram's own per-token rate.
   */
  z.object({ kind: z.literal("histogram"), counts: z.array(z.number().nonnegative()).min(2) }).strict(),
]);
export type AcceptanceConfig = z.output<typeof acceptanceSchema>;

/** What `specfleet profile` writes (or what is written inline): a device's measured costs. */
export const verifierProfileSchema = z.preprocess(
  (raw, ctx) => {
    // Profiles written before the field said its key: name the new one rather than only "required".
    if (typeof raw === "object" && raw !== null && "verifyMs" in raw && !("verifyMsByTokens" in raw))
      ctx.addIssue({ code: "custom", path: ["verifyMs"], message: "renamed verifyMsByTokens: [{tokens, ms}]" });
    return raw;
  },
  z
    .object({
      /**
       * ms of one forward pass over n tokens (a batch's decode tokens); linear between points,
       * extended from the last two (libs/window `verifyCostCurve`).
       */
      verifyMsByTokens: z
        .array(z.object({ tokens: z.number().int().positive(), ms: z.number().nonnegative() }).strict())
        .min(1),
      prefillMsPerToken: z.number().nonnegative(),
      /** Per round, work in the process that does not batch (messages, the journal), ms. */
      roundOverheadMs: z.number().nonnegative().default(0),
      /** Per forward pass, work besides the pass itself (forming the batch, the event loop), ms. */
      batchOverheadMs: z.number().nonnegative().default(0),
    })
    .loose(),
);
export type VerifierProfile = z.output<typeof verifierProfileSchema>;

export const drafterProfileSchema = z
  .object({
    draftMsPerToken: z.number().positive(),
    prefillMsPerToken: z.number().nonnegative(),
    roundOverheadMs: z.number().nonnegative().default(0),
  })
  .loose();
export type DrafterProfile = z.output<typeof drafterProfileSchema>;

const count = z.number().int().min(1).max(100_000);
const name = z.string().regex(/^[a-z0-9][a-z0-9-]*$/i, "letters, digits and dashes");

export const verifierGroupSchema = z
  .object({
    name,
    count,
    /** Inline, or a path (relative to the configuration) to a `specfleet profile` file. */
    profile: z.union([z.string(), verifierProfileSchema]),
    maxSessions: z.number().int().min(1).default(8),
    /** Rounds evaluated together in one forward pass at most (VERIFY_BATCH_LIMIT; 0 = no limit). */
    maxBatch: z.number().int().min(0).default(0),
    link: linkSchema.default(linkSchema.parse({})),
    /** fused execution: the drafter that runs on this verifier's machine. */
    fusedDrafter: z
      .object({ profile: z.union([z.string(), drafterProfileSchema]), acceptance: acceptanceSchema.optional() })
      .strict()
      .optional(),
  })
  .strict();

export const drafterGroupSchema = z
  .object({
    name,
    count,
    profile: z.union([z.string(), drafterProfileSchema]),
    maxSessions: z.number().int().min(1).default(4),
    link: linkSchema.default(linkSchema.parse({})),
    /** This drafter model against the target; the fleet's `acceptance` when absent. */
    acceptance: acceptanceSchema.optional(),
    power: z
      .object({ source: z.enum(["plugged", "charging", "battery"]), level: z.number().min(0).max(1).nullable() })
      .strict()
      .optional(),
  })
  .strict();

const arrivalsSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("poisson"), ratePerSecond: z.number().positive() }).strict(),
  /** `clients` users, each sending its next request `thinkMs` after its last one ended. */
  z.object({ kind: z.literal("closed"), clients: z.number().int().min(1), thinkMs: range.prefault(0) }).strict(),
  /** A JSONL file, one request per line: {"at": ms, "promptTokens": n, "outputTokens": n}. */
  z.object({ kind: z.literal("trace"), path: z.string().min(1) }).strict(),
]);

export const simConfigSchema = z
  .object({
    seed: z.number().int().default(1),
    workload: z
      .object({
        arrivals: arrivalsSchema,
        /** How many requests (a trace: at most this many of its lines). */
        requests: z.number().int().min(1).max(10_000_000).default(1000),
        promptTokens: range.prefault([16, 64]),
        outputTokens: range.prefault([64, 128]),
      })
      .strict(),
    verifiers: z.array(verifierGroupSchema).min(1),
    drafters: z.array(drafterGroupSchema).default([]),
    acceptance: acceptanceSchema.default({ kind: "rate", alpha: 0.8, decay: 1 }),
    /** distributed: drafters on edge devices; fused: each verifier drafts for itself (`fusedDrafter`). */
    execution: z.enum(["distributed", "fused"]).default("distributed"),
    policies: z
      .object({
        pairing: z.enum(PAIRING_POLICY_NAMES).default("load-aware"),
        batching: z.enum(BATCHING_POLICY_NAMES).default("fifo"),
        /**
         * Per model, how many requests that chose to wait for a faster pair a queue pass looks past
         * (SCHEDULER_QUEUE_LOOKAHEAD).
         */
        queueLookahead: z.number().int().min(0).default(QUEUE_PASS_DEFAULTS.lookahead),
        /** A request waiting longer for a pair fails (SCHEDULER_QUEUE_TIMEOUT_MS; 0: it waits as long as it takes), ms. */
        queueTimeoutMs: z.number().int().min(0).default(0),
        /** Re-pair running sessions this often (SCHEDULER_REBALANCE_MS; 0: never), ms. */
        rebalanceMs: z.number().int().min(0).default(5000),
        window: z
          .object({
            policy: z.enum(WINDOW_POLICY_NAMES).default("adaptive"),
            window: z.number().int().min(0).max(64).default(4),
            maxWindow: z.number().int().min(0).max(64).default(12),
            /** specdec: stop a window when the chance of a rejection in it passes this. */
            stopThreshold: z.number().min(0).max(1).default(0.5),
            /** adaptive: hand a session back to its verifier when decoding alone is faster. */
            handBack: z.boolean().default(true),
          })
          .strict()
          .prefault({}),
        /**
         * The load-aware policy's and the rebalancer's tuning values, as the scheduler's
         * LOAD_AWARE_* and SCHEDULER_REBALANCE_* variables set them (libs/pairing/README.md):
         * `{loadAware: {waitGain: 0.5}, rebalance: {minGain: 0.3}}`; unset values keep their defaults.
         */
        tuning: pairingTuningSchema.prefault({}),
      })
      .strict()
      .prefault({}),
    /**
     * The fleet split into regions (a cell each: the scheduler places a request among its own
     * region's workers only): each group's workers are dealt over them in turn, worker i to
     * region i mod regions; a request is served in a region drawn in proportion to its verifiers'
     * session slots. 1: one cell, the whole fleet.
     */
    regions: z.number().int().min(1).max(10_000).default(1),
    /** The scheduler as shards (shards.ts): each a processor deciding its cells' requests in turn. */
    scheduler: z
      .object({
        /** Scheduler shards; cell c is placed by shard c mod shards. */
        shards: z.number().int().min(1).max(10_000).default(1),
        /** A shard's time per decision, ms (0: decisions take no time, the scheduler is never the bottleneck). */
        decisionMs: z.number().nonnegative().default(0),
      })
      .strict()
      .prefault({}),
    /** Bytes on the wire per token of a draft or a verdict (ids, q, framing). */
    bytesPerToken: z.number().positive().default(16),
    /** Goodput counts requests that met both. */
    slo: z
      .object({ ttftMs: z.number().positive().default(2000), tpotMs: z.number().positive().default(200) })
      .strict()
      .default({ ttftMs: 2000, tpotMs: 200 }),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.execution === "fused") {
      config.verifiers.forEach((group, i) => {
        if (!group.fusedDrafter)
          ctx.addIssue({
            code: "custom",
            path: ["verifiers", i, "fusedDrafter"],
            message: "fused execution needs each verifier group's fusedDrafter profile",
          });
      });
    }
  });
export type SimConfigInput = z.input<typeof simConfigSchema>;
export type SimConfig = z.output<typeof simConfigSchema>;

/** A path in a configuration (a profile, a trace): relative to the configuration's folder. */
export function fromConfigDir(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}
