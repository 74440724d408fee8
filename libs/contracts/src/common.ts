import { z } from "zod";

export const workerIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "letters, digits, '-' or '_' (1-64)");
export const sessionIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,96}$/, "letters, digits, '-' or '_' (1-96)");
export const tokenSchema = z.number().int().nonnegative();
export const tokensSchema = z.array(tokenSchema);
export const positionSchema = z.number().int().nonnegative();

/** Errors that cross actors carry a code the gateway maps to an HTTP status. */
export const errorCodeSchema = z.enum([
  "bad_request",
  "model_not_found",
  "prompt_too_long",
  /** The prompt cannot be decoded by the model: a token id outside its vocabulary. */
  "invalid_prompt",
  "session_lost",
  /** The worker has no free slot right now: try again later or elsewhere. */
  "worker_busy",
  /** The admission queue is full: the gateway answers 429 with Retry-After. */
  "queue_full",
  /** The request waited longer than its deadline for a free pair. */
  "queue_timeout",
  /** The sender may not do this: another identity's message, a quarantined drafter (docs/security.md). */
  "forbidden",
  /** What the request names does not exist (a device without a credential to revoke). */
  "not_found",
  /** The actor is not set up to do this (a registry started without NATS_AUTHORITY_FILE). */
  "not_configured",
  "internal",
]);
export type ErrorCode = z.infer<typeof errorCodeSchema>;
export const remoteErrorSchema = z.object({
  code: errorCodeSchema,
  message: z.string(),
  /** When retrying makes sense: how long to wait, in seconds. */
  retryAfterSeconds: z.number().nonnegative().optional(),
});
export type RemoteError = z.infer<typeof remoteErrorSchema>;

/** How a request samples (llama.cpp's chain: top-k → top-p → temperature); temperature 0 is greedy. */
export const samplingSchema = z.object({
  temperature: z.number().min(0).max(2),
  /** 0: no top-k truncation. */
  topK: z.number().int().min(0).max(1_000_000),
  /** 1: no top-p truncation. */
  topP: z.number().gt(0).max(1),
  seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  /** The client chose the seed and expects the same output again: the window stays fixed. */
  seeded: z.boolean(),
});
export type Sampling = z.infer<typeof samplingSchema>;
export const GREEDY_SAMPLING: Sampling = { temperature: 0, topK: 0, topP: 1, seed: 0, seeded: false };

/**
 * How a session's tokens events are sent: `each-round`, every round's tokens as soon as they are
 * journalled (a client reading them as they come); `batched`, a client that waits for the whole
 * answer: its first tokens at once, then what the rounds commit gathered into an event every
 * BATCHED_EVENTS_MS, and the rest with the last round (fewer messages and journal writes per
 * round). Absent from older actors' messages: `each-round`.
 */
export const tokenEventsSchema = z.enum(["each-round", "batched"]);
export type TokenEvents = z.infer<typeof tokenEventsSchema>;
/** How long a batched session's committed tokens may wait before they are journalled and published. */
export const BATCHED_EVENTS_MS = 250;

/** Most draft tokens in one round (a window of γ; a window sent ahead carries γ + 1). */
export const MAX_DRAFT_TOKENS = 64;

/** Most tokens a drafter may send q for at one position (its support is capped below this). */
export const MAX_DRAFT_SUPPORT = 1024;

/** A probability distribution over some tokens, as parallel lists. */
export const distributionSchema = z
  .object({
    tokens: tokensSchema.max(MAX_DRAFT_SUPPORT),
    probs: z.array(z.number().min(0).max(1)).max(MAX_DRAFT_SUPPORT),
  })
  .refine((d) => d.tokens.length === d.probs.length, "tokens and probs must have the same length");
export type WireDistribution = z.infer<typeof distributionSchema>;

export function distributionToWire(distribution: ReadonlyMap<number, number>): WireDistribution {
  return { tokens: [...distribution.keys()], probs: [...distribution.values()] };
}

export function distributionFromWire(wire: WireDistribution): Map<number, number> {
  return new Map(wire.tokens.map((token, i) => [token, wire.probs[i]!] as [number, number]));
}
