import { z } from "zod";

/** A job's life: waiting for its turn, running, then one of three ends. */
export const JOB_STATUSES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const FINISHED: ReadonlySet<JobStatus> = new Set(["succeeded", "failed", "cancelled"]);

/** Who a job belongs to: an API key's id, or everyone when the fleet has no keys. */
export type Tenant = string;
export const ANONYMOUS: Tenant = "anonymous";

/** Where a job came from: `POST /v1/jobs`, or OpenAI's Batch API (`POST /v1/batches`). */
export type JobSource = "jobs" | "batch";

/** One request of a job, as it was validated: the endpoint it is for and its body. */
export const jobRequestSchema = z.object({
  customId: z.string().nullable(),
  endpoint: z.enum(["/v1/completions", "/v1/chat/completions"]),
  body: z.record(z.string(), z.unknown()),
});
export type JobRequest = z.infer<typeof jobRequestSchema>;

/** What a job is, as stored (what changes as it runs is kept beside it: status, counts, times). */
export const jobRecordSchema = z.object({
  id: z.string(),
  tenant: z.string(),
  source: z.enum(["jobs", "batch"]),
  model: z.string(),
  total: z.number().int().positive(),
  /** The job's own priority (lower first), before its key's and the fleet's job offsets. */
  priority: z.number().int(),
  metadata: z.record(z.string(), z.string()).nullable(),
  webhookUrl: z.string().nullable(),
  createdAt: z.number(),
  /** Batches: the input file, the completion window and the endpoint OpenAI's batch object reports. */
  batch: z
    .object({ inputFileId: z.string(), endpoint: z.string(), completionWindow: z.string(), invalidLines: z.number() })
    .nullable(),
});
export type JobRecord = z.infer<typeof jobRecordSchema>;

export interface JobCounts {
  /** Requests with a recorded result (succeeded or failed). */
  done: number;
  succeeded: number;
  failed: number;
  promptTokens: number;
  completionTokens: number;
}

export interface JobState {
  record: JobRecord;
  status: JobStatus;
  counts: JobCounts;
  startedAt: number | null;
  finishedAt: number | null;
  cancelRequestedAt: number | null;
  /** When a finished job and its results are deleted. */
  expiresAt: number | null;
}

export interface RequestError {
  /** The HTTP status the same request would have had on its own. */
  status: number;
  code: string | null;
  message: string;
}

/** One request's outcome, recorded once whatever ran it (a request rerun after a crash is not recorded twice). */
export const requestResultSchema = z.object({
  index: z.number().int().nonnegative(),
  customId: z.string().nullable(),
  status: z.enum(["succeeded", "failed"]),
  /** The response body the endpoint would have given (text_completion or chat.completion). */
  response: z.record(z.string(), z.unknown()).nullable(),
  error: z.object({ status: z.number().int(), code: z.string().nullable(), message: z.string() }).nullable(),
  usage: z.object({ promptTokens: z.number().int(), completionTokens: z.number().int() }),
  finishedAt: z.number(),
});
export type RequestResult = z.infer<typeof requestResultSchema>;

/** Events a job's followers receive (`GET /v1/jobs/{id}/events`). */
export type JobEvent =
  | { type: "status"; status: JobStatus; at: number }
  | { type: "request"; index: number; customId: string | null; status: "succeeded" | "failed"; at: number };
