import { ArgumentsHost, Catch, HttpException, type ExceptionFilter } from "@nestjs/common";
import type { Response } from "express";
import type { Logger } from "#logging";
import { HttpApiError } from "./api-error.js";

/**
 * Every failure leaves the service as OpenAI's error object with a fitting status. Registered as
 * the app's filter with the service's logger: `{ provide: APP_FILTER, useFactory: (log) => new
 * ApiErrorFilter(log), inject: [LOGGER] }`.
 */
@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  constructor(private readonly log: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const error = this.toApiError(exception);
    if (error.status >= 500) {
      // The cause, for a failure the client is told only "internal error" about.
      const cause = exception === error ? undefined : exception instanceof Error ? exception.stack : String(exception);
      this.log.error({ status: error.status, err: error.message, cause }, "request failed");
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    if (error.retryAfterSeconds !== null) res.setHeader("Retry-After", String(Math.ceil(error.retryAfterSeconds)));
    res.status(error.status).json(error.body());
  }

  private toApiError(exception: unknown): HttpApiError {
    if (exception instanceof HttpApiError) return exception;
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      return new HttpApiError(
        status,
        exception.message,
        status >= 500 ? "server_error" : "invalid_request_error",
        status === 404 ? "not_found" : null,
      );
    }
    return new HttpApiError(500, "internal error", "server_error");
  }
}
