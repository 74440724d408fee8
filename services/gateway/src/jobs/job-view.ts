import type { JobState, RequestResult } from "./job.js";

const seconds = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000));

/** A request's result as the API shows it (a line of `GET /v1/jobs/{id}/results`). */
export function resultView(result: RequestResult) {
  return {
    index: result.index,
    custom_id: result.customId,
    status: result.status,
    response: result.response,
    error: result.error
      ? { status: result.error.status, code: result.error.code, message: result.error.message }
      : null,
  };
}

/**
 * A job as `GET /v1/jobs/{id}` shows it: status, progress, usage, times (Unix seconds, as
 * OpenAI's objects), the first failed requests' errors, and the results when given (small jobs).
 */
export function jobView(job: JobState, details: { errors: RequestResult[]; results: RequestResult[] | null } | null) {
  const { record, counts } = job;
  return {
    id: record.id,
    object: "job",
    model: record.model,
    status: job.status,
    priority: record.priority,
    metadata: record.metadata,
    created_at: seconds(record.createdAt),
    started_at: seconds(job.startedAt),
    finished_at: seconds(job.finishedAt),
    cancel_requested_at: seconds(job.cancelRequestedAt),
    expires_at: seconds(job.expiresAt),
    progress: {
      total: record.total,
      done: counts.done,
      succeeded: counts.succeeded,
      failed: counts.failed,
      completion_tokens: counts.completionTokens,
    },
    usage: {
      prompt_tokens: counts.promptTokens,
      completion_tokens: counts.completionTokens,
      total_tokens: counts.promptTokens + counts.completionTokens,
    },
    webhook: record.webhookUrl ? { url: record.webhookUrl } : null,
    results_url: `/v1/jobs/${record.id}/results`,
    ...(details ? { errors: details.errors.map(resultView) } : {}),
    ...(details?.results ? { results: details.results.map(resultView) } : {}),
  };
}
