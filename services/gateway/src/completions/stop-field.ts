import { z } from "zod";

/** OpenAI's limit on stop sequences per request. */
export const MAX_STOP_SEQUENCES = 4;
/** Longest stop string, in characters (the matcher holds back at most this many minus one). */
export const MAX_STOP_CHARS = 1000;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const SHAPE = `\`stop\` must be a string or a list of at most ${MAX_STOP_SEQUENCES} strings`;

const stopString = z
  .string({ error: SHAPE })
  .min(1, "a stop sequence must not be empty")
  .max(MAX_STOP_CHARS, `a stop sequence must be at most ${MAX_STOP_CHARS} characters`)
  .refine((s) => !LONE_SURROGATE.test(s), "a stop sequence must be valid Unicode (a lone surrogate is not)");

/**
 * `stop` on /v1/completions and /v1/chat/completions: a string or up to 4, as OpenAI takes it;
 * null or absent for none. Always a list once parsed. The text ends right before the first stop
 * sequence (services/gateway/src/completions/stop-matcher.ts).
 */
export const stopFieldSchema = z
  .union([stopString, z.array(stopString).max(MAX_STOP_SEQUENCES)], { error: SHAPE })
  .nullish()
  .transform((stop): string[] => (stop == null ? [] : typeof stop === "string" ? [stop] : stop));
