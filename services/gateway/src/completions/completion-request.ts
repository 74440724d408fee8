import { randomInt } from "node:crypto";
import { z } from "zod";
import type { Sampling } from "#contracts";
import { HttpApiError } from "#http";
import { promptFieldSchema } from "./prompt-field.js";
import { stopFieldSchema } from "./stop-field.js";

/** `POST /v1/completions` in OpenAI's format, with the parameters SpecFleet supports today. */
export function completionRequestSchema(maxTokensLimit: number, maxPromptChars: number) {
  return z.strictObject(
    {
      model: z.string({ error: "`model` is required (see GET /v1/models)" }).min(1),
      prompt: promptFieldSchema(maxPromptChars),
      /** OpenAI's default, 16; null is the default too (as OpenAI takes it). */
      max_tokens: z
        .number({ error: "`max_tokens` must be an integer" })
        .int("`max_tokens` must be an integer")
        .min(1, "`max_tokens` must be at least 1")
        .max(maxTokensLimit, `\`max_tokens\` must be at most ${maxTokensLimit}`)
        .nullish()
        .transform((v) => v ?? 16),
      /** OpenAI's default; 0 is greedy (and lossless speculation is then token-identical). */
      temperature: z
        .number({ error: "`temperature` must be a number between 0 and 2" })
        .min(0, "`temperature` must be between 0 and 2")
        .max(2, "`temperature` must be between 0 and 2")
        .nullish()
        .transform((v) => v ?? 1),
      top_p: z
        .number({ error: "`top_p` must be a number in (0, 1]" })
        .gt(0, "`top_p` must be in (0, 1]")
        .max(1, "`top_p` must be in (0, 1]")
        .nullish()
        .transform((v) => v ?? 1),
      /** vLLM's extension; 0 or -1 switch it off. */
      top_k: z
        .number({ error: "`top_k` must be an integer" })
        .int("`top_k` must be an integer")
        .min(-1, "`top_k` must be -1, 0 (off) or a positive integer")
        .max(1_000_000, "`top_k` must be at most 1000000")
        .default(0),
      seed: z
        .number({ error: "`seed` must be an integer" })
        .int("`seed` must be an integer")
        .min(0, "`seed` must be between 0 and 2^53 - 1")
        .max(Number.MAX_SAFE_INTEGER, "`seed` must be between 0 and 2^53 - 1")
        .nullish(),
      /** vLLM's extension: lower is served first when requests wait; 0 by default. */
      priority: z
        .number({ error: "`priority` must be an integer" })
        .int("`priority` must be an integer")
        .min(-1000, "`priority` must be between -1000 and 1000")
        .max(1000, "`priority` must be between -1000 and 1000")
        .default(0),
      stream: z
        .boolean({ error: "`stream` must be true or false" })
        .nullish()
        .transform((v) => v ?? false),
      stream_options: z.object({ include_usage: z.boolean().default(false) }).nullish(),
      // OpenAI's parameters SpecFleet does not support: accepted at their default values, which
      // clients often send, and refused otherwise (never silently ignored).
      n: z.literal(1, "`n` above 1 is not supported (only 1)").nullish(),
      echo: z.literal(false, "`echo` is not supported (only false)").nullish(),
      best_of: z.literal(1, "`best_of` is not supported (only 1)").nullish(),
      logprobs: z.null("`logprobs` are not supported yet (only null)").optional(),
      suffix: onlyDefault(z.string(), (v) => v === "", '`suffix` is not supported (only null or "")'),
      frequency_penalty: onlyDefault(z.number(), (v) => v === 0, "`frequency_penalty` is not supported (only 0)"),
      presence_penalty: onlyDefault(z.number(), (v) => v === 0, "`presence_penalty` is not supported (only 0)"),
      logit_bias: onlyDefault(
        z.record(z.string(), z.number()),
        (v) => Object.keys(v).length === 0,
        "`logit_bias` is not supported (only {} or null)",
      ),
      stop: stopFieldSchema,
      /** vLLM's extension: return the completion's token ids alongside the text. */
      return_token_ids: z.boolean().default(false),
      user: z.string().nullish(),
    },
    // Any other field is refused, naming it (as vLLM does), rather than silently ignored.
    { error: (issue) => (issue.code === "unrecognized_keys" ? unknownFieldMessage(issue.keys) : undefined) },
  );
}

/** An unsupported parameter: null, absent or its default pass; any other value is refused. */
function onlyDefault<T extends z.ZodType>(schema: T, isDefault: (value: z.output<T>) => boolean, message: string) {
  return schema.nullish().refine((value) => value == null || isDefault(value), message);
}

function unknownFieldMessage(keys: readonly string[]): string {
  return `\`${keys[0]}\` is not a parameter of /v1/completions that SpecFleet knows (see GET /openapi.json)`;
}

export type CompletionRequest = z.infer<ReturnType<typeof completionRequestSchema>>;

export function parseCompletionRequest(
  body: unknown,
  maxTokensLimit: number,
  maxPromptChars: number,
): CompletionRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw HttpApiError.invalid("the request body must be a JSON object");
  }
  const result = schemaFor(maxTokensLimit, maxPromptChars).safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0]!] : issue.path;
    const param = path.map(String).join(".") || null;
    throw HttpApiError.invalid(param ? `${param}: ${issue.message}` : issue.message, param);
  }
  return result.data;
}

/**
 * The schema for these limits, built once: building it costs more than parsing a request with
 * it (zod compiles an object schema on its first parse), ~3 ms a request when built per request.
 */
function schemaFor(maxTokensLimit: number, maxPromptChars: number): ReturnType<typeof completionRequestSchema> {
  const key = `${maxTokensLimit}/${maxPromptChars}`;
  let schema = schemas.get(key);
  if (!schema) schemas.set(key, (schema = completionRequestSchema(maxTokensLimit, maxPromptChars)));
  return schema;
}

const schemas = new Map<string, ReturnType<typeof completionRequestSchema>>();

/** The fleet's sampling parameters for a request; without a seed, a fresh random one. */
export function samplingOf(request: Pick<CompletionRequest, "temperature" | "top_p" | "top_k" | "seed">): Sampling {
  const seeded = request.seed != null;
  return {
    temperature: request.temperature,
    topK: Math.max(0, request.top_k),
    topP: request.top_p,
    seed: request.seed ?? randomInt(0, 2 ** 48 - 1),
    seeded,
  };
}
