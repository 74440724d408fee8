import { z } from "zod";
import type { ZodOpenApiPathsObject } from "zod-openapi";
import type { GatewayConfig } from "#config";
import { BODY_ERRORS, errorResponses } from "../http/openapi-shared.js";
import { withRateLimits } from "../keys/openapi.js";
import { completionRequestSchema } from "./completion-request.js";

const usage = z.object({
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
});

const choice = z.object({
  text: z.string(),
  index: z.number().int(),
  logprobs: z.null(),
  finish_reason: z.enum(["stop", "length"]).nullable(),
  token_ids: z.array(z.number().int()).optional().meta({ description: "With `return_token_ids: true`." }),
});

/** The whole answer (`completions.controller.ts`); a stream sends chunks of this shape, then `data: [DONE]`. */
export const completionResponseSchema = z
  .object({
    id: z.string(),
    object: z.literal("text_completion"),
    created: z.number().int(),
    model: z.string(),
    choices: z.array(choice),
    usage: usage.optional(),
  })
  .meta({ id: "Completion" });

/** `POST /v1/completions`, its body the very schema the handler validates with. */
export function completionsOpenApi(config: GatewayConfig): ZodOpenApiPathsObject {
  return {
    "/v1/completions": {
      // Admitted through RequestAdmission: x-ratelimit-* headers and an API key limit's 429.
      post: withRateLimits({
        operationId: "createCompletion",
        tags: ["completions"],
        summary: "A completion of one prompt, whole or streamed as server-sent events (`stream: true`).",
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: completionRequestSchema(config.GATEWAY_MAX_TOKENS, config.GATEWAY_MAX_PROMPT_CHARS),
            },
          },
        },
        responses: {
          200: {
            description: "The completion; with `stream: true`, `text/event-stream` chunks of the same shape.",
            content: {
              "application/json": { schema: completionResponseSchema },
              "text/event-stream": { schema: z.string() },
            },
          },
          ...errorResponses({
            ...BODY_ERRORS,
            404: "No verifier serves this model (`code: model_not_found`).",
            429: "The queue is full (`code: queue_full`); retry after Retry-After.",
            500: "The session failed (`code: session_failed`).",
            502: "The session was lost (`code: session_lost`).",
            503: "Not started within SCHEDULER_QUEUE_TIMEOUT_MS (`code: queue_timeout`), cancelled, or the scheduler is down.",
            504: "A running stream stalled for GATEWAY_IDLE_TIMEOUT_MS (`code: timeout`).",
          }),
        },
      }),
    },
  };
}
