import { z } from "zod";
import type {
  ZodOpenApiOperationObject,
  ZodOpenApiPathItemObject,
  ZodOpenApiPathsObject,
  ZodOpenApiResponseObject,
  ZodOpenApiResponsesObject,
  ZodOpenApiSecuritySchemeObject,
} from "zod-openapi";
import { BODY_ERRORS, errorResponses, jsonResponse } from "../http/openapi-shared.js";
import { isV1 } from "./api-key.guard.js";
import {
  createKeyBodySchema,
  createdKeySchema,
  keyListSchema,
  keyUsageSchema,
  keyViewSchema,
  keyWithUsageSchema,
  rotatedWebhookSecretSchema,
  usageQuerySchema,
} from "./key-schemas.js";
import { rateLimitHeadersSchema } from "./rate-limit-arithmetic.js";

const apiKey = keyViewSchema.meta({ id: "ApiKey" });
const keyUsage = keyUsageSchema.meta({ id: "ApiKeyUsage" });
const keyId = z.object({ id: z.string().meta({ description: "The key's id (`key_…`)." }) });

const ADMIN_ERRORS = {
  401: "GATEWAY_ADMIN_TOKEN is set and the bearer token is missing or wrong (`code: invalid_admin_token`).",
};
const NOT_FOUND = { 404: "No such key (`code: api_key_not_found`)." };

function adminOperation(operation: Omit<ZodOpenApiOperationObject, "tags" | "security">): ZodOpenApiOperationObject {
  return { tags: ["keys"], security: [{ adminToken: [] }], ...operation };
}

function revokeOperation(operationId: string): ZodOpenApiOperationObject {
  return adminOperation({
    operationId,
    summary:
      "Revokes the key for good (a second revoke keeps the first time); every gateway refuses it within GATEWAY_KEY_CACHE_MS.",
    requestParams: { path: keyId },
    responses: {
      200: jsonResponse("The key, `revoked_at` set.", apiKey),
      ...errorResponses({ ...ADMIN_ERRORS, ...NOT_FOUND }),
    },
  });
}

/** `keys/keys.controller.ts`: the operator's API for API keys; the bodies are the schemas it validates with. */
export function keysOpenApi(): ZodOpenApiPathsObject {
  return {
    "/admin/keys": {
      post: adminOperation({
        operationId: "createApiKey",
        summary: "Creates an API key; its secret and webhook signing secret are in this answer only.",
        requestBody: { required: true, content: { "application/json": { schema: createKeyBodySchema } } },
        responses: {
          201: jsonResponse("The key, with `secret` and `webhook_secret`.", createdKeySchema),
          ...errorResponses({ ...BODY_ERRORS, ...ADMIN_ERRORS }),
        },
      }),
      get: adminOperation({
        operationId: "listApiKeys",
        summary: "Every key, revoked ones too, oldest first (never a secret).",
        responses: { 200: jsonResponse("The keys.", keyListSchema), ...errorResponses(ADMIN_ERRORS) },
      }),
    },
    "/admin/keys/{id}": {
      get: adminOperation({
        operationId: "getApiKey",
        summary: "The key with its usage (in total and per UTC day for the last 31 days).",
        requestParams: { path: keyId },
        responses: {
          200: jsonResponse("The key.", keyWithUsageSchema),
          ...errorResponses({ ...ADMIN_ERRORS, ...NOT_FOUND }),
        },
      }),
      delete: revokeOperation("deleteApiKey"),
    },
    "/admin/keys/{id}/usage": {
      get: adminOperation({
        operationId: "getApiKeyUsage",
        summary: "Requests, prompt and completion tokens of the key: in total and per UTC day, newest first.",
        requestParams: { path: keyId, query: usageQuerySchema },
        responses: {
          200: jsonResponse("The usage.", keyUsage),
          ...errorResponses({ 400: "A bad `days`.", ...ADMIN_ERRORS, ...NOT_FOUND }),
        },
      }),
    },
    "/admin/keys/{id}/revoke": { post: revokeOperation("revokeApiKey") },
    "/admin/keys/{id}/webhook-secret": {
      post: adminOperation({
        operationId: "rotateApiKeyWebhookSecret",
        summary: "A new secret for the key's job webhooks, shown this once; the old one stops signing at once.",
        requestParams: { path: keyId },
        responses: {
          200: jsonResponse("The key and its new `webhook_secret`.", rotatedWebhookSecretSchema),
          ...errorResponses({ ...ADMIN_ERRORS, 404: "No such key, or it was revoked (`code: api_key_not_found`)." }),
        },
      }),
    },
  };
}

/** The bearer API key of `/v1` (`components.securitySchemes`), as `ApiKeyGuard` checks it. */
export const apiKeySecuritySchemes: Record<string, ZodOpenApiSecuritySchemeObject> = {
  apiKey: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "sk-sf-…",
    description:
      "An API key (`specfleet keys create`, `POST /admin/keys`), sent as `Authorization: Bearer sk-sf-…`. " +
      "Needed on every /v1 call once a key that is not revoked exists; while none does, /v1 is open.",
  },
};

const V1_ERRORS = {
  401: "API keys exist and the bearer key is missing, wrong or revoked (`code: invalid_api_key`).",
  503:
    "The API key store (Redis) did not answer within GATEWAY_KEY_LOOKUP_TIMEOUT_MS " +
    "(`code: key_store_unavailable`); retry after Retry-After.",
};

const RATE_LIMITED =
  "Over one of the API key's limits (`code: rate_limit_exceeded`, `type` requests or tokens), with `x-ratelimit-*` " +
  "and Retry-After; a request whose reservation alone exceeds the tokens per minute names `max_tokens` and has no " +
  "Retry-After (ask for fewer).";

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

/**
 * Every `/v1` operation as `ApiKeyGuard` serves it (the same `isV1` paths): the bearer API key,
 * optional (`{}`) because /v1 is open while no key exists, its 401, and the 503 of a key store
 * that does not answer. `http/openapi.ts` applies it to the gathered paths.
 */
export function withApiKeys(paths: ZodOpenApiPathsObject): ZodOpenApiPathsObject {
  const result: ZodOpenApiPathsObject = {};
  for (const [path, item] of Object.entries(paths) as Array<[string, ZodOpenApiPathItemObject]>) {
    if (!isV1(path)) {
      result[path] = item;
      continue;
    }
    const guarded: ZodOpenApiPathItemObject = { ...item };
    for (const method of METHODS) {
      const operation = item[method];
      if (operation === undefined) continue;
      guarded[method] = {
        security: [{ apiKey: [] }, {}],
        ...operation,
        responses: mergedResponses(operation.responses, errorResponses(V1_ERRORS)),
      };
    }
    result[path] = guarded;
  }
  return result;
}

/**
 * An operation admitted through `RequestAdmission` (interactive completions): OpenAI's
 * `x-ratelimit-*` headers on its answers (for a key with per-minute limits) and the 429 of a
 * limit reached, beside the operation's own.
 */
export function withRateLimits(operation: ZodOpenApiOperationObject): ZodOpenApiOperationObject {
  const responses = mergedResponses(operation.responses, errorResponses({ 429: RATE_LIMITED }));
  for (const [status, response] of Object.entries(responses) as Array<[string, ZodOpenApiResponseObject]>) {
    if (/^(2\d\d|429)$/.test(status)) responses[status as "200"] = withHeaders(response, rateLimitHeadersSchema);
  }
  return { ...operation, responses };
}

/** `added` beside `existing`: a status both answer reads both descriptions, and keeps both headers. */
function mergedResponses(existing: ZodOpenApiResponsesObject, added: ZodOpenApiResponsesObject) {
  const merged: ZodOpenApiResponsesObject = { ...existing };
  for (const [status, response] of Object.entries(added) as Array<[`${1 | 2 | 3 | 4 | 5}`, ZodOpenApiResponseObject]>) {
    const current = merged[status];
    if (current === undefined) merged[status] = response;
    else if ("$ref" in current) throw new Error(`cannot merge a ${status} response given by reference`);
    else {
      const both = { ...current, description: `${current.description} Or: ${response.description}` };
      merged[status] = response.headers instanceof z.ZodObject ? withHeaders(both, response.headers) : both;
    }
  }
  return merged;
}

function withHeaders(response: ZodOpenApiResponseObject, headers: z.ZodObject): ZodOpenApiResponseObject {
  const current = response.headers;
  if (current === undefined) return { ...response, headers };
  if (!(current instanceof z.ZodObject)) throw new Error("cannot merge headers not given as a zod object");
  return { ...response, headers: current.extend(headers.shape) };
}
