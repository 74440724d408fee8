import type { RequestOrigin } from "#contracts";
import { HttpApiError } from "#http";
import type { JobRequest, RequestError } from "./job.js";

/** Runs one request of a job to its end through the fleet, as its endpoint would on its own. */
export interface RequestExecutor {
  /**
   * The endpoint's response body and usage; throws an `HttpApiError` with the status the request
   * would have had on its own. Aborting `signal` stops the request wherever it is.
   */
  run(request: JobRequest, options: ExecuteOptions): Promise<ExecutedRequest>;
}

export interface ExecuteOptions {
  /** The fleet session's id: one per attempt, so a rerun never reads an earlier attempt's events. */
  sessionId: string;
  /** The priority the scheduler serves it with (lower first). */
  priority: number;
  /** The job's key and id, shown to operators with the request (`SchedulerSubmit.origin`). */
  origin: RequestOrigin;
  signal: AbortSignal;
}

export interface ExecutedRequest {
  response: Record<string, unknown>;
  usage: { promptTokens: number; completionTokens: number };
}

/** How a failed attempt is handled: tried again while the fleet is busy or away, tried a few times on a fault, or recorded. */
export type FailureKind = "busy" | "fault" | "final";

/**
 * A full queue, a queued request timed out, an absent scheduler: the fleet is busy or away, and
 * the request waits for it however long (a job must not fail because interactive traffic came
 * first). A lost session or a stalled stream: tried again a few times. Anything else (a bad
 * parameter, an unknown model, a prompt too long) is the request's own answer.
 */
export function failureKind(error: HttpApiError): FailureKind {
  if (error.status === 429 || error.status === 503) return "busy";
  if (error.status === 502 || error.status === 504 || error.status >= 500) return "fault";
  return "final";
}

export function asHttpApiError(err: unknown): HttpApiError {
  return err instanceof HttpApiError ? err : new HttpApiError(500, (err as Error).message, "server_error");
}

export function requestErrorOf(error: HttpApiError): RequestError {
  return { status: error.status, code: error.code, message: error.message };
}
