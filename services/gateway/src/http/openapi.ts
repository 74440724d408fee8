import { z } from "zod";
import { createDocument, type ZodOpenApiPathsObject } from "zod-openapi";
import type { GatewayConfig } from "#config";
import { adminOpenApi } from "../admin/openapi.js";
import { completionsOpenApi } from "../completions/openapi.js";
import { chatOpenApi } from "../chat/openapi.js";
import { jobsOpenApi } from "../jobs/openapi.js";
import { modelsOpenApi } from "../models/openapi.js";
import { filesOpenApi } from "../files/openapi.js";
import { batchesOpenApi } from "../batches/openapi.js";
import { apiKeySecuritySchemes, keysOpenApi, withApiKeys } from "../keys/openapi.js";
import { jsonResponse } from "./openapi-shared.js";

/**
 * Each capability's paths, from its own `openapi.ts` (the request bodies are the zod schemas its
 * handlers validate with). A capability that adds a route adds its paths function here; the test
 * `services/gateway/test/openapi.test.ts` fails for a route Nest serves that is not documented.
 */
const CAPABILITY_PATHS: ReadonlyArray<(config: GatewayConfig) => ZodOpenApiPathsObject> = [
  completionsOpenApi,
  chatOpenApi,
  jobsOpenApi,
  modelsOpenApi,
  adminOpenApi,
  filesOpenApi,
  batchesOpenApi,
  keysOpenApi,
  docsOpenApi,
];

/** The gateway's OpenAPI 3.1 document (`GET /openapi.json`). */
export function openApiDocument(config: GatewayConfig) {
  const paths: ZodOpenApiPathsObject = {};
  for (const pathsOf of CAPABILITY_PATHS) {
    for (const [path, item] of Object.entries(pathsOf(config))) paths[path] = { ...paths[path], ...item };
  }
  // GATEWAY_ADMIN_API=off: the admin controllers are not mounted (admin/admin-api.ts).
  if (config.GATEWAY_ADMIN_API === "off")
    for (const path of Object.keys(paths)) if (isAdminPath(path)) delete paths[path];
  return createDocument({
    openapi: "3.1.0",
    info: {
      title: "SpecFleet gateway",
      version: "1",
      description:
        "OpenAI-compatible API of a SpecFleet fleet (distributed speculative decoding). Every error is OpenAI's " +
        'error object, `{"error": {"message", "type", "param", "code"}}`. Bodies are JSON only (415 otherwise).',
    },
    paths: withApiKeys(paths),
    components: {
      securitySchemes: {
        adminToken: {
          type: "http",
          scheme: "bearer",
          description:
            "GATEWAY_ADMIN_TOKEN, when it is set (required beyond loopback). Every /admin call also needs a Host the gateway answers to, no other site's Origin, and a JSON body or none.",
        },
        ...apiKeySecuritySchemes,
      },
    },
  });
}

function isAdminPath(path: string): boolean {
  return path === "/admin" || path.startsWith("/admin/");
}

/** This document and its browsable page (`http/openapi.controller.ts`). */
function docsOpenApi(): ZodOpenApiPathsObject {
  const page = (description: string) => ({ description, content: { "text/html": { schema: z.string() } } });
  return {
    "/openapi.json": {
      get: {
        operationId: "openApiDocument",
        tags: ["docs"],
        summary: "This OpenAPI 3.1 document.",
        responses: { 200: jsonResponse("The document.", z.record(z.string(), z.unknown())) },
      },
    },
    "/docs": {
      get: {
        operationId: "apiDocsPage",
        tags: ["docs"],
        summary: "The document, browsable (Swagger UI, served from this gateway: no CDN).",
        responses: { 200: page("The page.") },
      },
    },
    "/docs/{asset}": {
      get: {
        operationId: "apiDocsAsset",
        tags: ["docs"],
        summary: "The page's scripts and styles.",
        requestParams: { path: z.object({ asset: z.string() }) },
        responses: { 200: { description: "The file." }, 404: { description: "No such file." } },
      },
    },
  };
}
