import { z } from "zod";
import type { ZodOpenApiPathsObject } from "zod-openapi";
import type { GatewayConfig } from "#config";
import { BODY_ERRORS, errorResponses } from "../http/openapi-shared.js";
import { withRateLimits } from "../keys/openapi.js";
import { chatRequestSchema } from "./chat-request.js";

const usage = z.object({
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
});

/** The whole answer (`chat-body.ts`); a stream sends `chat.completion.chunk`s, then `data: [DONE]`. */
export const chatCompletionResponseSchema = z
  .object({
    id: z.string(),
    object: z.literal("chat.completion"),
    created: z.number().int(),
    model: z.string(),
    choices: z.array(
      z.object({
        index: z.number().int(),
        message: z.object({ role: z.literal("assistant"), content: z.string(), refusal: z.null() }),
        logprobs: z.null(),
        finish_reason: z.enum(["stop", "length"]),
      }),
    ),
    usage,
  })
  .meta({ id: "ChatCompletion" });

/** `POST /v1/chat/completions`, its body the very schema the handler validates with. */
export function chatOpenApi(config: GatewayConfig): ZodOpenApiPathsObject {
  return {
    "/v1/chat/completions": {
      // Admitted through RequestAdmission: x-ratelimit-* headers and an API key limit's 429.
      post: withRateLimits({
        operationId: "createChatCompletion",
        tags: ["chat"],
        summary:
          "A reply to a chat, whole or streamed (`stream: true`); the messages are rendered with the model's chat template.",
        requestBody: {
          required: true,
          content: { "application/json": { schema: chatRequestSchema(config.GATEWAY_MAX_TOKENS) } },
        },
        responses: {
          200: {
            description: "The reply; with `stream: true`, `text/event-stream` of `chat.completion.chunk`s.",
            content: {
              "application/json": { schema: chatCompletionResponseSchema },
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
