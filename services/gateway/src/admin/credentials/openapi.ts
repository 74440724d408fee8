import { z } from "zod";
import type { ZodOpenApiPathsObject } from "zod-openapi";
import { BODY_ERRORS, errorResponses, jsonResponse } from "../../http/openapi-shared.js";
import {
  credentialListSchema,
  credentialViewSchema,
  issueCredentialBodySchema,
  issuedCredentialSchema,
  revokeCredentialBodySchema,
} from "./credential-schemas.js";

const ADMIN_ERRORS = {
  401: "GATEWAY_ADMIN_TOKEN is set and the bearer token is missing or wrong.",
  503: "The registry (the fleet's credential authority) is not answering; retry.",
};
const NO_AUTHORITY = {
  501: "The registry is no credential authority: start it with NATS_AUTHORITY_FILE (docs/security.md).",
};
const deviceId = z.string().meta({ description: "A device's worker id (letters, digits, '-' or '_')." });

/** `admin/credentials/credentials.controller.ts`: device credentials. */
export function credentialsOpenApi(): ZodOpenApiPathsObject {
  return {
    "/admin/credentials": {
      post: {
        operationId: "issueDeviceCredential",
        tags: ["admin"],
        summary:
          "Issue a device its NATS credential (a new one for a device that has one rotates it: the old one is revoked).",
        security: [{ adminToken: [] }],
        requestBody: { content: { "application/json": { schema: issueCredentialBodySchema } } },
        responses: {
          201: {
            ...jsonResponse("The credential, with its `.creds` file: shown this once only.", issuedCredentialSchema),
            headers: z.object({ "Cache-Control": z.literal("no-store") }),
          },
          ...errorResponses({
            ...ADMIN_ERRORS,
            ...BODY_ERRORS,
            400: "A field is wrong (`param` names it), or `device_id` is a control-plane identity (code reserved_identity).",
            ...NO_AUTHORITY,
          }),
        },
      },
      get: {
        operationId: "listDeviceCredentials",
        tags: ["admin"],
        summary:
          "Every credential issued, newest first, revoked ones included (never a secret), with where each device stands.",
        security: [{ adminToken: [] }],
        responses: {
          200: jsonResponse("The credentials.", credentialListSchema),
          ...errorResponses(ADMIN_ERRORS),
        },
      },
    },
    "/admin/credentials/{device_id}": {
      delete: {
        operationId: "revokeDeviceCredential",
        tags: ["admin"],
        summary: "Revoke a device's credential: NATS cuts its connections at once and its sessions move elsewhere.",
        security: [{ adminToken: [] }],
        requestParams: {
          path: z.object({ device_id: deviceId }),
          query: revokeCredentialBodySchema,
        },
        requestBody: { required: false, content: { "application/json": { schema: revokeCredentialBodySchema } } },
        responses: {
          200: jsonResponse("The credential, revoked.", credentialViewSchema),
          ...errorResponses({
            ...ADMIN_ERRORS,
            ...BODY_ERRORS,
            400: "Not a device id, or a control-plane identity (code reserved_identity).",
            404: "The device has no credential in force (code device_not_found).",
            ...NO_AUTHORITY,
          }),
        },
      },
    },
  };
}
