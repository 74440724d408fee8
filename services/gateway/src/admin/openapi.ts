import { z } from "zod";
import type { ZodOpenApiOperationObject, ZodOpenApiPathsObject } from "zod-openapi";
import { errorResponses, jsonResponse } from "../http/openapi-shared.js";
import { credentialsOpenApi } from "./credentials/openapi.js";

const device = z.object({
  id: z.string(),
  role: z.enum(["verifier", "drafter"]),
  model: z.string(),
  device_class: z.string(),
  state: z.string(),
  draining: z.boolean(),
  active_sessions: z.number().int(),
  max_sessions: z.number().int(),
  power: z.unknown(),
  profile: z.unknown(),
  last_seen_at: z.number(),
});

const drained = z.object({ id: z.string(), state: z.string(), draining: z.boolean() });
const deviceId = z.string().meta({ description: "A worker id (letters, digits, '-' or '_')." });

const adminErrors = {
  401: "GATEWAY_ADMIN_TOKEN is set and the bearer token is missing or wrong.",
  503: "The registry is not answering.",
};

function drainOperation(operationId: string, summary: string): ZodOpenApiOperationObject {
  return {
    operationId,
    tags: ["admin"],
    summary,
    security: [{ adminToken: [] }],
    requestParams: { path: z.object({ id: deviceId }) },
    responses: {
      200: jsonResponse("The device's state now.", drained),
      ...errorResponses({ ...adminErrors, 400: "Not a worker id.", 404: "No such device." }),
    },
  };
}

/** `admin/admin.controller.ts` and `admin/credentials/`: the operator's API. */
export function adminOpenApi(): ZodOpenApiPathsObject {
  return {
    ...credentialsOpenApi(),
    "/admin/devices": {
      get: {
        operationId: "listDevices",
        tags: ["admin"],
        summary: "Every device of the fleet as the registry knows it.",
        security: [{ adminToken: [] }],
        responses: {
          200: jsonResponse("The devices.", z.object({ object: z.literal("list"), data: z.array(device) })),
          ...errorResponses(adminErrors),
        },
      },
    },
    "/admin/devices/{id}/drain": {
      post: drainOperation("drainDevice", "The device takes no new sessions; its sessions move elsewhere."),
    },
    "/admin/devices/{id}/undrain": {
      post: drainOperation("undrainDevice", "The device takes sessions again."),
    },
  };
}
