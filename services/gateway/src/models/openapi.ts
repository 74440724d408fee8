import { z } from "zod";
import type { ZodOpenApiPathsObject } from "zod-openapi";
import { errorResponses, jsonResponse } from "../http/openapi-shared.js";

const modelList = z.object({
  object: z.literal("list"),
  data: z.array(
    z.object({ id: z.string(), object: z.literal("model"), created: z.number().int(), owned_by: z.string() }),
  ),
});

const workerRef = z.object({ id: z.string(), model: z.string() });
const readiness = z.object({
  status: z.enum(["ready", "not_ready"]),
  scheduler: z.enum(["up", "stale fleet", "down"]),
  registry: z.enum(["up", "down"]),
  models: z.array(z.string()),
  verifiers: z.array(workerRef),
  drafters: z.array(workerRef),
  scheduler_models: z
    .array(z.object({ model: z.string(), verifiers: z.number().int(), drafters: z.number().int() }))
    .meta({ description: "What the scheduler places from, per model (its view may trail the registry's by a beat)." }),
});

/** `models/models.controller.ts`: models, liveness, readiness. */
export function modelsOpenApi(): ZodOpenApiPathsObject {
  return {
    "/v1/models": {
      get: {
        operationId: "listModels",
        tags: ["models"],
        summary: "The target models served by at least one ready verifier.",
        responses: {
          200: jsonResponse("The models.", modelList),
          ...errorResponses({ 503: "The registry is not answering." }),
        },
      },
    },
    "/healthz": {
      get: {
        operationId: "health",
        tags: ["health"],
        summary: "The gateway process is up.",
        responses: { 200: jsonResponse("Up.", z.object({ status: z.literal("ok") })) },
      },
    },
    "/readyz": {
      get: {
        operationId: "readiness",
        tags: ["health"],
        summary: "Whether the fleet can place a request with speculation, and the live workers.",
        responses: { 200: jsonResponse("Ready.", readiness), 503: jsonResponse("Not ready.", readiness) },
      },
    },
  };
}
