import { ArgumentsHost, Catch, HttpException, Inject, type ExceptionFilter } from "@nestjs/common";
import type { Response } from "express";
import type { Logger } from "#logging";
import { DASHBOARD_LOGGER } from "../tokens.js";

/** An error the dashboard answers with a status and OpenAI's error object (as the gateway does). */
export class DashboardApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
  ) {
    super(message);
  }

  body() {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }

  static invalid(message: string, param: string | null = null, code: string | null = null): DashboardApiError {
    return new DashboardApiError(400, message, "invalid_request_error", code, param);
  }
}

/** A body-parser failure (express.json) as the error a client can act on; null for other errors. */
export function bodyReadError(err: unknown): DashboardApiError | null {
  const { type, status, message } = (err ?? {}) as { type?: unknown; status?: unknown; message?: unknown };
  if (type === "entity.parse.failed")
    return DashboardApiError.invalid(`the request body is not valid JSON: ${String(message)}`, null, "invalid_json");
  if (type === "entity.too.large")
    return new DashboardApiError(413, "the request body is too large", "invalid_request_error", "body_too_large");
  if (typeof status === "number" && status >= 400 && status < 500)
    return new DashboardApiError(status, String(message), "invalid_request_error", "invalid_body");
  return null;
}

/** Every failure leaves the dashboard's API as OpenAI's error object with a fitting status. */
@Catch()
export class DashboardErrorFilter implements ExceptionFilter {
  constructor(@Inject(DASHBOARD_LOGGER) private readonly log: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const error = toApiError(exception);
    if (error.status >= 500)
      this.log.error(
        {
          status: error.status,
          err: error.message,
          cause: exception instanceof Error ? exception.stack : String(exception),
        },
        "request failed",
      );
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(error.status).json(error.body());
  }
}

function toApiError(exception: unknown): DashboardApiError {
  if (exception instanceof DashboardApiError) return exception;
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    return new DashboardApiError(
      status,
      exception.message,
      status >= 500 ? "server_error" : "invalid_request_error",
      status === 404 ? "not_found" : null,
    );
  }
  return new DashboardApiError(500, "internal error", "server_error");
}
