import { z } from "zod";
import type { ZodOpenApiOperationObject, ZodOpenApiPathsObject } from "zod-openapi";
import type { GatewayConfig } from "#config";
import { BODY_ERRORS, errorResponses, jsonResponse } from "../http/openapi-shared.js";
import { JOB_STATUSES } from "./job.js";
import { createJobSchema } from "./job-request.js";
import { listJobsQuerySchema } from "./jobs.controller.js";

const requestResult = z
  .object({
    index: z.number().int(),
    custom_id: z.string().nullable(),
    status: z.enum(["succeeded", "failed"]),
    response: z
      .record(z.string(), z.unknown())
      .nullable()
      .meta({ description: "The body the endpoint answers on its own: a text_completion or chat.completion." }),
    error: z.object({ status: z.number().int(), code: z.string().nullable(), message: z.string() }).nullable(),
  })
  .meta({ id: "JobRequestResult", description: "One request's result (a line of the results' JSONL)." });

const seconds = z.number().int().nullable();
const job = z
  .object({
    id: z.string(),
    object: z.literal("job"),
    model: z.string(),
    status: z.enum(JOB_STATUSES),
    priority: z.number().int(),
    metadata: z.record(z.string(), z.string()).nullable(),
    created_at: seconds,
    started_at: seconds,
    finished_at: seconds,
    cancel_requested_at: seconds,
    expires_at: seconds.meta({
      description: "When a finished job and its results are deleted (JOBS_RETENTION_HOURS).",
    }),
    progress: z.object({
      total: z.number().int(),
      done: z.number().int(),
      succeeded: z.number().int(),
      failed: z.number().int(),
      completion_tokens: z.number().int(),
    }),
    usage: z.object({
      prompt_tokens: z.number().int(),
      completion_tokens: z.number().int(),
      total_tokens: z.number().int(),
    }),
    webhook: z.object({ url: z.string() }).nullable(),
    results_url: z.string(),
    errors: z.array(requestResult).optional().meta({ description: "The first 100 failed requests." }),
    results: z
      .array(requestResult)
      .optional()
      .meta({ description: "A finished job's results, when it holds at most JOBS_INLINE_RESULTS requests." }),
  })
  .meta({ id: "Job" });

const jobId = z.object({ id: z.string().meta({ description: "The job's id (`job_…`)." }) });
const notFound = { 404: "No such job for this caller (another key's job is not found either)." };
const retryAfter = z.string().meta({ description: "Seconds to wait before polling again." });

function cancelOperation(operationId: string): ZodOpenApiOperationObject {
  return {
    operationId,
    tags: ["jobs"],
    summary: "Cancels the job: what waits is dropped, what runs is stopped (within a second).",
    requestParams: { path: jobId },
    responses: { 200: jsonResponse("The job (`cancel_requested_at` set).", job), ...errorResponses(notFound) },
  };
}

/** `jobs/jobs.controller.ts`: the native jobs API. */
export function jobsOpenApi(config: GatewayConfig): ZodOpenApiPathsObject {
  return {
    "/v1/jobs": {
      post: {
        operationId: "createJob",
        tags: ["jobs"],
        summary: "Runs many completion and chat requests in the background (async request-reply).",
        requestParams: {
          header: z.object({
            "Idempotency-Key": z
              .string()
              .optional()
              .meta({
                description: `The same key and body give back the same job for ${config.JOBS_IDEMPOTENCY_HOURS} h; another body is a 422.`,
              }),
          }),
        },
        requestBody: { content: { "application/json": { schema: createJobSchema(config.JOBS_MAX_REQUESTS) } } },
        responses: {
          202: {
            description: "Accepted: the job, queued. `Location` is where to poll it.",
            headers: z.object({ Location: z.string(), "Retry-After": retryAfter }),
            content: { "application/json": { schema: job } },
          },
          ...errorResponses({
            ...BODY_ERRORS,
            404: "The model is not served by this fleet.",
            409: "A request with this Idempotency-Key is still being handled.",
            422: "This Idempotency-Key was used with another body.",
          }),
        },
      },
      get: {
        operationId: "listJobs",
        tags: ["jobs"],
        summary: "The caller's jobs, newest first, by cursor (`after` the last id of a page), optionally by status.",
        requestParams: { query: listJobsQuerySchema },
        responses: {
          200: jsonResponse(
            "A page of jobs.",
            z.object({
              object: z.literal("list"),
              data: z.array(job),
              first_id: z.string().nullable(),
              last_id: z.string().nullable(),
              has_more: z.boolean(),
            }),
          ),
          ...errorResponses({ 400: "A bad query parameter, or an `after` that is not a job (it may have expired)." }),
        },
      },
    },
    "/v1/jobs/{id}": {
      get: {
        operationId: "getJob",
        tags: ["jobs"],
        summary: "The job: status, progress, usage, times, the first errors, and the results of a small finished job.",
        requestParams: { path: jobId },
        responses: { 200: jsonResponse("The job.", job), ...errorResponses(notFound) },
      },
      delete: cancelOperation("deleteJob"),
    },
    "/v1/jobs/{id}/cancel": { post: cancelOperation("cancelJob") },
    "/v1/jobs/{id}/results": {
      get: {
        operationId: "getJobResults",
        tags: ["jobs"],
        summary: "The results recorded so far, one JSON line per request in request order.",
        requestParams: { path: jobId },
        responses: {
          200: { description: "JSON Lines.", content: { "application/jsonl": { schema: requestResult } } },
          ...errorResponses(notFound),
        },
      },
    },
    "/v1/jobs/{id}/events": {
      get: {
        operationId: "followJob",
        tags: ["jobs"],
        summary:
          "Server-sent events: `job` (the job), then `status`, `request` and `progress` as they happen, `done` at the end. " +
          "Reconnect with `Last-Event-ID` to miss nothing.",
        requestParams: { path: jobId, header: z.object({ "Last-Event-ID": z.string().optional() }) },
        responses: {
          200: { description: "An event stream.", content: { "text/event-stream": { schema: z.string() } } },
          ...errorResponses(notFound),
        },
      },
    },
  };
}
