import { z } from "zod";
import type { ZodOpenApiResponseObject, ZodOpenApiResponsesObject } from "zod-openapi";

/** OpenAI's error object, as every error leaves the gateway (`HttpApiError.body()`). */
export const openAIErrorBodySchema = z
  .object({
    error: z.object({
      message: z.string(),
      type: z.string().meta({ example: "invalid_request_error" }),
      param: z.string().nullable().meta({ description: "The request field at fault, if one is." }),
      code: z.string().nullable().meta({ example: "invalid_json" }),
    }),
  })
  .meta({ id: "OpenAIError", description: "OpenAI's error object." });

/** A JSON response described by its zod schema. */
export function jsonResponse(description: string, schema: z.ZodType): ZodOpenApiResponseObject {
  return { description, content: { "application/json": { schema } } };
}

const retryAfter = z.string().meta({ description: "Seconds to wait before retrying." });

/** Error responses by status, each OpenAI's error object; pass the statuses an operation can answer. */
export function errorResponses(statuses: Record<number, string>): ZodOpenApiResponsesObject {
  const responses: Record<string, ZodOpenApiResponseObject> = {};
  for (const [status, description] of Object.entries(statuses)) {
    const response = jsonResponse(description, openAIErrorBodySchema);
    if (status === "429" || status === "503") response.headers = z.object({ "Retry-After": retryAfter.optional() });
    responses[status] = response;
  }
  return responses;
}

/** What any JSON route can answer before its handler runs (`http/body-parsing.ts`, `json-body.guard.ts`). */
export const BODY_ERRORS = {
  400: "The body is not valid JSON, or a field is wrong (`param` names it).",
  413: "The body is larger than GATEWAY_BODY_LIMIT.",
  415: "The body is not JSON (`application/json` or `*+json`), or its charset or Content-Encoding is not supported.",
};
