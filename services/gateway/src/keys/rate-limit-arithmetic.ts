import { z } from "zod";
import type { Prompt } from "#contracts";

/**
 * The arithmetic of per-minute limits, as OpenAI describes its own: a bucket per limit that
 * empties continuously at `limit` per minute (so a full one is usable again bit by bit, not
 * only at the top of the minute). `used` is what the bucket holds after the draining.
 */
export const LIMIT_WINDOW_MS = 60_000;

export interface Bucket {
  limit: number;
  used: number;
}

/** What may still be asked for at once. */
export function remaining(bucket: Bucket): number {
  return Math.max(0, Math.floor(bucket.limit - bucket.used));
}

/** Until the bucket is empty, "resets to its initial state" in OpenAI's words. */
export function resetMs(bucket: Bucket): number {
  return Math.max(0, Math.ceil((bucket.used * LIMIT_WINDOW_MS) / bucket.limit));
}

/** Until `cost` more fits. */
export function waitMs(bucket: Bucket, cost: number): number {
  return Math.max(0, Math.ceil(((bucket.used + cost - bucket.limit) * LIMIT_WINDOW_MS) / bucket.limit));
}

/** A duration as OpenAI writes its reset headers: `20ms`, `1s`, `1.5s`, `6m0s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.ceil(ms))}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`;
  const seconds = Math.ceil(ms / 1000);
  return `${Math.floor(seconds / 60)}m${seconds % 60}s`;
}

/** `Retry-After` is whole seconds, at least one. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

const header = (description: string) => z.string().optional().meta({ description });

/** OpenAI's `x-ratelimit-*` headers, each sent only for a limit the key has (also the OpenAPI document's). */
export const rateLimitHeadersSchema = z.object({
  "x-ratelimit-limit-requests": header("The key's requests per minute."),
  "x-ratelimit-remaining-requests": header("Requests that fit in the key's requests bucket now."),
  "x-ratelimit-reset-requests": header("Until the requests bucket is empty again: `20ms`, `1.5s`, `6m0s`."),
  "x-ratelimit-limit-tokens": header("The key's tokens (prompt + completion) per minute."),
  "x-ratelimit-remaining-tokens": header("Tokens that fit in the key's tokens bucket now."),
  "x-ratelimit-reset-tokens": header("Until the tokens bucket is empty again: `20ms`, `1.5s`, `6m0s`."),
});
export type RateLimitHeaders = z.infer<typeof rateLimitHeadersSchema>;

/** OpenAI's `x-ratelimit-*` headers for the limits a key has (none for a limit it does not have). */
export function rateLimitHeaders(requests: Bucket | null, tokens: Bucket | null): RateLimitHeaders {
  const headers: RateLimitHeaders = {};
  if (requests) {
    headers["x-ratelimit-limit-requests"] = String(requests.limit);
    headers["x-ratelimit-remaining-requests"] = String(remaining(requests));
    headers["x-ratelimit-reset-requests"] = formatDuration(resetMs(requests));
  }
  if (tokens) {
    headers["x-ratelimit-limit-tokens"] = String(tokens.limit);
    headers["x-ratelimit-remaining-tokens"] = String(remaining(tokens));
    headers["x-ratelimit-reset-tokens"] = formatDuration(resetMs(tokens));
  }
  return headers;
}

/**
 * The prompt's tokens before the fleet has tokenized it, only to reserve them against a
 * tokens-per-minute limit: token ids count as they are; text (a chat's: its messages' contents)
 * is estimated as OpenAI does, about four characters a token. The reservation is settled to the
 * verifier's real count when the completion ends.
 */
export function promptTokenEstimate(prompt: Prompt): number {
  if (typeof prompt === "string") return Math.ceil(prompt.length / 4);
  if ("tokens" in prompt) return prompt.tokens.length;
  return Math.ceil(prompt.messages.reduce((chars, message) => chars + message.content.length, 0) / 4);
}
