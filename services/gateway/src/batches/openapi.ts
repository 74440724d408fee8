import { z } from "zod";
import type { ZodOpenApiPathsObject } from "zod-openapi";
import { BODY_ERRORS, errorResponses, jsonResponse } from "../http/openapi-shared.js";
import { createBatchSchema, listBatchesQuerySchema } from "./batch-request.js";
import { BATCH_STATUSES } from "./batch-view.js";

const time = z.number().int().nullable();
const batchObjectSchema = z
  .object({
    id: z.string(),
    object: z.literal("batch"),
    endpoint: z.string(),
    model: z.string().nullable(),
    errors: z
      .object({
        object: z.literal("list"),
        data: z.array(
          z.object({
            code: z.string(),
            message: z.string(),
            param: z.string().nullable(),
            line: z.number().nullable(),
          }),
        ),
      })
      .nullable()
      .meta({ description: "Input lines that do not run, by number (the first 100; all are in the error file)." }),
    input_file_id: z.string(),
    completion_window: z.string(),
    status: z.enum(BATCH_STATUSES),
    output_file_id: z.string().nullable(),
    error_file_id: z.string().nullable(),
    created_at: z.number().int(),
    in_progress_at: time,
    expires_at: time,
    finalizing_at: time,
    completed_at: time,
    failed_at: time,
    expired_at: time,
    cancelling_at: time,
    cancelled_at: time,
    request_counts: z.object({ total: z.number().int(), completed: z.number().int(), failed: z.number().int() }),
    metadata: z.record(z.string(), z.string()).nullable(),
    usage: z.object({
      input_tokens: z.number().int(),
      input_tokens_details: z.object({ cached_tokens: z.number().int() }),
      output_tokens: z.number().int(),
      output_tokens_details: z.object({ reasoning_tokens: z.number().int() }),
      total_tokens: z.number().int(),
    }),
  })
  .meta({ id: "Batch", description: "OpenAI's batch object." });

const batchId = z.object({ id: z.string().meta({ description: "A batch id (`batch_…`)." }) });
const notFound = { 404: "No such batch for this caller (another API key's batches do not exist for it)." };

/** `batches/batches.controller.ts`: OpenAI's Batch API on the jobs engine. */
export function batchesOpenApi(): ZodOpenApiPathsObject {
  return {
    "/v1/batches": {
      post: {
        operationId: "createBatch",
        tags: ["batches"],
        summary:
          "Runs the requests of an uploaded JSONL file as one job (one model per batch); a bad line is reported by its number and the others run.",
        requestBody: { required: true, content: { "application/json": { schema: createBatchSchema } } },
        responses: {
          200: jsonResponse("The batch (`failed` if no line of the file can run).", batchObjectSchema),
          ...errorResponses({
            ...BODY_ERRORS,
            404: "No such input file, or the file's model is not served by this fleet.",
          }),
        },
      },
      get: {
        operationId: "listBatches",
        tags: ["batches"],
        summary: "The caller's batches, newest first.",
        requestParams: { query: listBatchesQuerySchema },
        responses: {
          200: jsonResponse(
            "A page of batches.",
            z.object({
              object: z.literal("list"),
              data: z.array(batchObjectSchema),
              first_id: z.string().nullable(),
              last_id: z.string().nullable(),
              has_more: z.boolean(),
            }),
          ),
          ...errorResponses({ 400: "A bad query parameter, or `after` names no batch." }),
        },
      },
    },
    "/v1/batches/{id}": {
      get: {
        operationId: "retrieveBatch",
        tags: ["batches"],
        summary: "One batch: its status, counts, and its output and error files once it finished.",
        requestParams: { path: batchId },
        responses: { 200: jsonResponse("The batch.", batchObjectSchema), ...errorResponses(notFound) },
      },
    },
    "/v1/batches/{id}/cancel": {
      post: {
        operationId: "cancelBatch",
        tags: ["batches"],
        summary: "Stops the batch (`cancelling`, then `cancelled`); what finished stays in its output file.",
        requestParams: { path: batchId },
        responses: { 200: jsonResponse("The batch.", batchObjectSchema), ...errorResponses(notFound) },
      },
    },
  };
}
