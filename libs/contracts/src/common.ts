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
  "session_lost",
  /** The worker has no free slot right now: try again later or elsewhere. */
  "worker_busy",
  "internal",
]);
export type ErrorCode = z.infer<typeof errorCodeSchema>;
export const remoteErrorSchema = z.object({ code: errorCodeSchema, message: z.string() });
export type RemoteError = z.infer<typeof remoteErrorSchema>;
