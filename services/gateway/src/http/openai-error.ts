import type { ErrorCode, SessionEndReason } from "#contracts";
import { HttpApiError } from "#http";

/** The one place where fleet error codes become HTTP statuses. */
export function fromFleetError(code: ErrorCode, message: string, retryAfterSeconds?: number): HttpApiError {
  switch (code) {
    case "queue_full":
      return new HttpApiError(429, message, "rate_limit_error", "queue_full", null, retryAfterSeconds ?? 1);
    case "queue_timeout":
      return new HttpApiError(503, message, "service_unavailable", "queue_timeout", null, retryAfterSeconds ?? 1);
    case "bad_request":
      return HttpApiError.invalid(message);
    case "prompt_too_long":
      return HttpApiError.invalid(message, "prompt", "context_length_exceeded");
    case "invalid_prompt":
      return HttpApiError.invalid(message, "prompt", "invalid_prompt");
    case "model_not_found":
      return new HttpApiError(404, message, "invalid_request_error", "model_not_found", "model");
    case "session_lost":
      return new HttpApiError(502, message, "server_error", "session_lost");
    case "worker_busy":
      return new HttpApiError(503, message, "service_unavailable", "worker_busy");
    case "forbidden":
      // A fleet actor refused the gateway's own message: a credential or a permission is wrong.
      return new HttpApiError(500, message, "server_error", "fleet_forbidden");
    case "not_found":
      return new HttpApiError(404, message, "invalid_request_error", "not_found");
    case "not_configured":
      return new HttpApiError(501, message, "server_error", "not_configured");
    case "internal":
      return new HttpApiError(500, message, "server_error", "internal_error");
  }
}

/** The client closed the request: nothing is sent, and nothing is worth a server error in the log. */
export function clientClosed(): HttpApiError {
  return new HttpApiError(499, "the client closed the request", "invalid_request_error", "client_closed");
}

/**
 * A session that ended without finishing, as OpenAI's clients understand it: an error (a status,
 * or an error event in a stream) rather than a `finish_reason` they do not know, so that a
 * partial answer is never taken for a whole one. Both are worth retrying.
 */
export function fromSessionEnd(
  finishReason: Extract<SessionEndReason, "cancelled" | "error">,
  generatedTokens: number,
  reason = "no reason given",
): HttpApiError {
  if (finishReason === "cancelled")
    return new HttpApiError(
      503,
      `the request was cancelled by the fleet after ${generatedTokens} tokens (${reason}); it can be retried`,
      "service_unavailable",
      "session_cancelled",
    );
  return new HttpApiError(
    500,
    `the request failed after ${generatedTokens} tokens: ${reason}`,
    "server_error",
    "session_failed",
  );
}
