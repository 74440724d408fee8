import { z } from "zod";
import type { JobState } from "../jobs/job.js";
import type { InvalidLine } from "./batch-lines.js";

export const BATCH_STATUSES = [
  "validating",
  "failed",
  "in_progress",
  "finalizing",
  "completed",
  "expired",
  "cancelling",
  "cancelled",
] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

/** One of a batch's `errors.data` (OpenAI's BatchError): a line's number, or null for the file as a whole. */
export interface BatchError {
  code: string;
  message: string;
  param: string | null;
  line: number | null;
}

/** A batch that never became a job: its file had no line that could run (kept as long as a job). */
export const failedBatchSchema = z.object({
  id: z.string(),
  tenant: z.string(),
  inputFileId: z.string(),
  endpoint: z.string(),
  completionWindow: z.string(),
  metadata: z.record(z.string(), z.string()).nullable(),
  createdAt: z.number(),
  /** Requests (non-blank lines) in the file. */
  total: z.number().int().nonnegative(),
  errors: z.array(
    z.object({ code: z.string(), message: z.string(), param: z.string().nullable(), line: z.number().nullable() }),
  ),
});
export type FailedBatch = z.infer<typeof failedBatchSchema>;

/** What a batch object is made from: its job (with its invalid lines and files), or the record of a batch that failed. */
export type BatchState =
  | { kind: "job"; job: JobState; invalid: InvalidLine[]; files: { output: string | null; errors: string | null } }
  | { kind: "failed"; batch: FailedBatch };

/** Errors shown in a batch object at most (all of them are in its error file). */
export const ERRORS_SHOWN = 100;
/** OpenAI's batches are done within their window; SpecFleet's report it (they run to the end). */
const WINDOW_MS = 24 * 3_600_000;

/**
 * A job's status as a batch's: validation happens before the job exists, so a job is
 * `in_progress` from its creation (queued or running), `cancelling` once asked to stop, then
 * `completed` (even if every request failed: their errors are in the error file) or `cancelled`.
 * Output and error files are made as they are read, so `finalizing` is never seen.
 */
export function batchStatusOf(job: JobState): BatchStatus {
  switch (job.status) {
    case "queued":
    case "running":
      return job.cancelRequestedAt !== null ? "cancelling" : "in_progress";
    case "succeeded":
    case "failed":
      return "completed";
    case "cancelled":
      return "cancelled";
  }
}

const seconds = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000));

/** OpenAI's batch object. */
export function batchView(state: BatchState) {
  return state.kind === "job" ? jobBatchView(state) : failedBatchView(state.batch);
}

function jobBatchView({ job, invalid, files }: Extract<BatchState, { kind: "job" }>) {
  const { record, counts } = job;
  const status = batchStatusOf(job);
  const invalidLines = record.batch?.invalidLines ?? 0;
  const finishedAt = seconds(job.finishedAt);
  const errors: BatchError[] = invalid.slice(0, ERRORS_SHOWN).map((line) => ({
    code: line.code,
    message: `line ${line.line}: ${line.message}`,
    param: line.param,
    line: line.line,
  }));
  return {
    id: record.id,
    object: "batch" as const,
    endpoint: record.batch?.endpoint ?? "",
    model: record.model,
    errors: errors.length > 0 ? { object: "list", data: errors } : null,
    input_file_id: record.batch?.inputFileId ?? "",
    completion_window: record.batch?.completionWindow ?? "24h",
    status,
    output_file_id: files.output,
    error_file_id: files.errors,
    created_at: seconds(record.createdAt)!,
    in_progress_at: seconds(record.createdAt),
    expires_at: seconds(record.createdAt + WINDOW_MS),
    finalizing_at: status === "completed" ? finishedAt : null,
    completed_at: status === "completed" ? finishedAt : null,
    failed_at: null,
    expired_at: null,
    cancelling_at: seconds(job.cancelRequestedAt),
    cancelled_at: status === "cancelled" ? finishedAt : null,
    request_counts: {
      total: record.total + invalidLines,
      completed: counts.succeeded,
      failed: counts.failed + invalidLines,
    },
    metadata: record.metadata,
    usage: usageOf(counts.promptTokens, counts.completionTokens),
  };
}

function failedBatchView(batch: FailedBatch) {
  return {
    id: batch.id,
    object: "batch" as const,
    endpoint: batch.endpoint,
    model: null,
    errors: { object: "list", data: batch.errors.slice(0, ERRORS_SHOWN) },
    input_file_id: batch.inputFileId,
    completion_window: batch.completionWindow,
    status: "failed" as BatchStatus,
    output_file_id: null,
    error_file_id: null,
    created_at: seconds(batch.createdAt)!,
    in_progress_at: null,
    expires_at: seconds(batch.createdAt + WINDOW_MS),
    finalizing_at: null,
    completed_at: null,
    failed_at: seconds(batch.createdAt),
    expired_at: null,
    cancelling_at: null,
    cancelled_at: null,
    request_counts: { total: batch.total, completed: 0, failed: batch.total },
    metadata: batch.metadata,
    usage: usageOf(0, 0),
  };
}

function usageOf(input: number, output: number) {
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + output,
  };
}
