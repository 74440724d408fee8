import { z } from "zod";
import { HttpApiError } from "./openai-error.js";

/** `POST /v1/completions` in OpenAI's format, with the parameters SpecFleet supports today. */
export function completionRequestSchema(maxTokensLimit: number, maxPromptChars: number) {
  return z
    .object({
      model: z.string({ error: "`model` is required (see GET /v1/models)" }).min(1),
      prompt: z
        .unknown()
        .transform((prompt, ctx) => {
          if (typeof prompt === "string") return prompt;
          if (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === "string") return prompt[0];
          ctx.addIssue({ code: "custom", message: promptProblem(prompt) });
          return z.NEVER;
        })
        .refine((p) => p.length <= maxPromptChars, `the prompt is longer than ${maxPromptChars} characters`),
      max_tokens: z
        .number({ error: "`max_tokens` must be an integer" })
        .int("`max_tokens` must be an integer")
        .min(1, "`max_tokens` must be at least 1")
        .max(maxTokensLimit, `\`max_tokens\` must be at most ${maxTokensLimit}`)
        .default(16),
      temperature: z
        .number()
        .min(0, "`temperature` must be between 0 and 2")
        .max(2, "`temperature` must be between 0 and 2")
        .default(0),
      stream: z.boolean().default(false),
      stream_options: z.object({ include_usage: z.boolean().default(false) }).nullish(),
      n: z.literal(1, "only n = 1 is supported").optional(),
      echo: z.literal(false, "echo is not supported").optional(),
      best_of: z.literal(1, "best_of is not supported").optional(),
      logprobs: z.null("logprobs are not supported yet").optional(),
      stop: z.null("stop sequences are not supported yet").optional(),
      /** vLLM's extension: return the completion's token ids alongside the text. */
      return_token_ids: z.boolean().default(false),
      user: z.string().optional(),
    })
    .loose();
}

function promptProblem(prompt: unknown): string {
  if (prompt === undefined) return "`prompt` is required";
  if (Array.isArray(prompt)) return "only one prompt per request is supported (a string, or a list of one string)";
  return "`prompt` must be a string";
}

export type CompletionRequest = z.infer<ReturnType<typeof completionRequestSchema>>;

export function parseCompletionRequest(body: unknown, maxTokensLimit: number, maxPromptChars: number): CompletionRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw HttpApiError.invalid("the request body must be a JSON object");
  }
  const result = completionRequestSchema(maxTokensLimit, maxPromptChars).safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const param = issue.path.map(String).join(".") || null;
    throw HttpApiError.invalid(param ? `${param}: ${issue.message}` : issue.message, param);
  }
  const request = result.data;
  if (request.temperature > 0) {
    throw HttpApiError.invalid("temperature > 0 is not supported yet: use temperature 0 (greedy)", "temperature", "unsupported_value");
  }
  return request;
}
