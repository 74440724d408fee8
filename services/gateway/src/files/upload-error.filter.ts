import { ArgumentsHost, Catch, HttpException, Inject, type ExceptionFilter } from "@nestjs/common";
import type { Response } from "express";
import type { GatewayConfig } from "#config";
import { HttpApiError } from "#http";
import { GATEWAY_CONFIG } from "../tokens.js";

/**
 * multer's refusals of an upload (Nest turns them into a 413 "File too large" or a bare 400) as
 * OpenAI errors that say what to change. Other errors of the route go to the gateway's own filter.
 */
@Catch(HttpException)
export class UploadErrorFilter implements ExceptionFilter {
  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  catch(exception: HttpException, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const error = uploadErrorOf(exception.getStatus(), exception.message, this.config.FILES_MAX_BYTES);
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(error.status).json(error.body());
  }
}

export function uploadErrorOf(status: number, message: string, maxBytes: number): HttpApiError {
  if (status === 413)
    return new HttpApiError(
      413,
      `the file is larger than this gateway takes (FILES_MAX_BYTES: ${maxBytes} bytes)`,
      "invalid_request_error",
      "file_too_large",
      "file",
    );
  if (status === 400)
    return HttpApiError.invalid(
      `the upload is not a form this gateway reads (${message}); send multipart/form-data with one file field \`file\` and \`purpose\``,
      "file",
      "invalid_multipart",
    );
  return new HttpApiError(status, message, status >= 500 ? "server_error" : "invalid_request_error");
}
