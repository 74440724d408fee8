/** OpenAI's error object: `{"error": {"message", "type", "param", "code"}}`. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** An error a SpecFleet HTTP service (the gateway, the dashboard) answers with a status and OpenAI's error body. */
export class HttpApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
    /** Seconds a client should wait before retrying (the Retry-After header). */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
  }

  body(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }

  static invalid(message: string, param: string | null = null, code: string | null = null): HttpApiError {
    return new HttpApiError(400, message, "invalid_request_error", code, param);
  }
}
