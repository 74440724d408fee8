import { z } from "zod";
import type { ZodOpenApiPathsObject } from "zod-openapi";
import type { GatewayConfig } from "#config";
import { errorResponses, jsonResponse } from "../http/openapi-shared.js";
import { FILE_PURPOSES } from "./file.js";
import { listFilesQuerySchema } from "./files.controller.js";

export const fileObjectSchema = z
  .object({
    id: z.string(),
    object: z.literal("file"),
    bytes: z.number().int(),
    created_at: z.number().int(),
    expires_at: z.number().int(),
    filename: z.string(),
    purpose: z.enum(FILE_PURPOSES),
    status: z.literal("processed"),
    status_details: z.null(),
  })
  .meta({ id: "FileObject", description: "OpenAI's file object." });

const fileId = z.object({ id: z.string().meta({ description: "A file id (`file-…`)." }) });
const notFound = { 404: "No such file for this caller (another API key's files do not exist for it)." };

/** `files/files.controller.ts`: OpenAI's Files API, for batches. */
export function filesOpenApi(config: GatewayConfig): ZodOpenApiPathsObject {
  return {
    "/v1/files": {
      post: {
        operationId: "uploadFile",
        tags: ["files"],
        summary: `Uploads a JSONL file for a batch (purpose \`batch\`), at most ${config.FILES_MAX_BYTES} bytes (FILES_MAX_BYTES); kept FILES_RETENTION_HOURS (${config.FILES_RETENTION_HOURS} h).`,
        requestBody: {
          required: true,
          content: {
            "multipart/form-data": {
              schema: z.object({
                file: z.string().meta({ format: "binary", description: "The JSONL file, one request a line." }),
                purpose: z.literal("batch"),
              }),
            },
          },
        },
        responses: {
          200: jsonResponse("The file.", fileObjectSchema),
          ...errorResponses({
            400: "No file, an empty one, a purpose other than `batch`, an unknown field or a malformed form.",
            413: "The file is larger than FILES_MAX_BYTES.",
            415: "The body is neither multipart/form-data nor JSON.",
          }),
        },
      },
      get: {
        operationId: "listFiles",
        tags: ["files"],
        summary: "The caller's files (uploads and batches' output and error files), newest first by default.",
        requestParams: { query: listFilesQuerySchema },
        responses: {
          200: jsonResponse(
            "A page of files.",
            z.object({
              object: z.literal("list"),
              data: z.array(fileObjectSchema),
              first_id: z.string().nullable(),
              last_id: z.string().nullable(),
              has_more: z.boolean(),
            }),
          ),
          ...errorResponses({ 400: "A bad query parameter, or `after` names no file." }),
        },
      },
    },
    "/v1/files/{id}": {
      get: {
        operationId: "retrieveFile",
        tags: ["files"],
        summary: "One file.",
        requestParams: { path: fileId },
        responses: { 200: jsonResponse("The file.", fileObjectSchema), ...errorResponses(notFound) },
      },
      delete: {
        operationId: "deleteFile",
        tags: ["files"],
        summary: "Deletes the file.",
        requestParams: { path: fileId },
        responses: {
          200: jsonResponse(
            "Deleted.",
            z.object({ id: z.string(), object: z.literal("file"), deleted: z.literal(true) }),
          ),
          ...errorResponses(notFound),
        },
      },
    },
    "/v1/files/{id}/content": {
      get: {
        operationId: "downloadFile",
        tags: ["files"],
        summary: "The file's content: an upload as sent, or a batch's output or error lines (JSONL, OpenAI's format).",
        requestParams: { path: fileId },
        responses: {
          200: {
            description: "The content.",
            content: {
              "application/octet-stream": { schema: z.string().meta({ format: "binary" }) },
              "application/jsonl": { schema: z.string() },
            },
          },
          ...errorResponses(notFound),
        },
      },
    },
  };
}
