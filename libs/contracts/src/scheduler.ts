import { z } from "zod";
import { eventContract, requestContract } from "./contract.js";
import { remoteErrorSchema, samplingSchema, sessionIdSchema, workerIdSchema } from "./common.js";
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
});
export type CompletionJob = z.infer<typeof completionJobSchema>;

export const submitReplySchema = z.discriminatedUnion("ok", [
  z.object({ ok: z.literal(true), sessionId: sessionIdSchema, queued: z.boolean() }),
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

/** Control plane (scheduler), carried by @nestjs/microservices. */
export const SchedulerSubmit = requestContract("specfleet.scheduler.submit", 2, completionJobSchema, submitReplySchema);
/** Gateway → scheduler: the client went away; drop or stop its request. */
export const SchedulerCancel = eventContract("specfleet.scheduler.cancel", 1, z.object({ sessionId: sessionIdSchema }));
export const SchedulerSessionEnded = eventContract("specfleet.scheduler.session-ended", 1, sessionEndedSchema);
