import { z } from "zod";
import { eventContract, requestContract, type PayloadOf } from "./contract.js";
import { remoteErrorSchema, samplingSchema, sessionIdSchema, tokenEventsSchema, workerIdSchema } from "./common.js";
import { requestOriginSchema } from "./observability.js";
import { promptSchema } from "./session.js";

export const completionJobSchema = z.object({
  sessionId: sessionIdSchema,
  model: z.string().min(1),
  prompt: promptSchema,
  maxTokens: z.number().int().positive(),
  /** γ: tokens drafted per round; null lets the drafter use its default. */
  window: z.number().int().min(0).max(64).nullable(),
  sampling: samplingSchema,
  /** Lower first (vLLM's convention); 0 by default. */
  priority: z.number().int().min(-1000).max(1000),
  submittedAt: z.number(),
  /** Which API key and job the request came from, for operators (dashboard); absent from older gateways. */
  origin: requestOriginSchema.optional(),
  /** How its verifier sends its tokens events (absent from older gateways: each round's). */
  tokenEvents: tokenEventsSchema.optional(),
});
export type CompletionJob = z.infer<typeof completionJobSchema>;

export const submitReplySchema = z.discriminatedUnion("ok", [
  z.object({
    ok: z.literal(true),
    sessionId: sessionIdSchema,
    queued: z.boolean(),
    /** The scheduler opens it, or says it timed out, within this many ms (a placed request may still be queued again). */
    startWithinMs: z.number().int().nonnegative().optional(),
  }),
  z.object({ ok: z.literal(false), error: remoteErrorSchema }),
]);
export type SubmitReply = z.infer<typeof submitReplySchema>;

export const sessionEndedSchema = z.object({
  sessionId: sessionIdSchema,
  verifierId: workerIdSchema,
  drafterId: workerIdSchema.nullable(),
  finishReason: z.enum(["stop", "length", "error", "cancelled"]),
  generatedTokens: z.number().int().nonnegative(),
  rounds: z.number().int().nonnegative(),
  draftedTokens: z.number().int().nonnegative(),
  acceptedTokens: z.number().int().nonnegative(),
});
export type SessionEnded = z.infer<typeof sessionEndedSchema>;

/** Control plane (scheduler): served by its Nest controller through the ContractBus (libs/transport). */
/** v4: the prompt may be token ids. */
export const SchedulerSubmit = requestContract("specfleet.scheduler.submit", 4, completionJobSchema, submitReplySchema);
/** Gateway → scheduler: the client went away; drop or stop its request. */
export const SchedulerCancel = eventContract("specfleet.scheduler.cancel", 1, z.object({ sessionId: sessionIdSchema }));
/** Verifier → scheduler (v2: sender-bound, a verifier reports only its own sessions). */
export const SchedulerSessionEnded = eventContract("specfleet.scheduler.session-ended.{from}", 2, sessionEndedSchema, {
  senderField: "verifierId",
});

/** What the scheduler can place right now, per target model it knows of. */
export const schedulerStatusSchema = z.object({
  /** The scheduler holds a fleet snapshot, and how old it is (ms). */
  fleetKnown: z.boolean(),
  snapshotAgeMs: z.number().nonnegative().nullable(),
  models: z.array(
    z.object({
      model: z.string(),
      /** Verifiers of the model that take sessions (ready or degraded). */
      verifiers: z.number().int().nonnegative(),
      /** Sessions those verifiers take at once (their `maxSessions` summed): the fleet's capacity for the model. */
      sessions: z.number().int().nonnegative(),
      /** Drafters that share a vocabulary and a protocol with one of them (those it may pair). */
      drafters: z.number().int().nonnegative(),
    }),
  ),
  waiting: z.number().int().nonnegative(),
  running: z.number().int().nonnegative(),
});
export type SchedulerStatus = z.infer<typeof schedulerStatusSchema>;
/** Gateway → scheduler: what it can place (`/readyz` answers from this, not from the registry). */
export const SchedulerStatusRequest = requestContract(
  "specfleet.scheduler.status",
  2,
  z.object({}).loose(),
  schedulerStatusSchema,
);

/**
 * Verifier → scheduler: a drafter stopped following a session without the scheduler asking (it
 * handed the session back, stopped, or fell silent); the session decodes alone, and the
 * scheduler's table frees the drafter's slot. `fasterAlone`: the drafter found the verifier alone
 * faster, so the session is not given another drafter.
 */
export const SchedulerDrafterLeft = eventContract(
  "specfleet.scheduler.drafter-left.{from}",
  2,
  z.object({
    sessionId: sessionIdSchema,
    verifierId: workerIdSchema,
    drafterId: workerIdSchema,
    fasterAlone: z.boolean(),
    reason: z.string().max(500),
  }),
  { senderField: "verifierId" },
);
export type DrafterLeft = PayloadOf<typeof SchedulerDrafterLeft>;
