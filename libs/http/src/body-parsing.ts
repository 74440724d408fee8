import type { IncomingHttpHeaders } from "node:http";
import { json, type NextFunction, type Request, type Response } from "express";
import { HttpApiError } from "./api-error.js";

/**
 * `application/json` and any `*+json` type (`application/merge-patch+json`...): the only bodies
 * the JSON parser reads. Others are left unread, for a route that declared it takes them
 * (`@AcceptsMultipart()`) or for `JsonBodyGuard` to refuse with a 415.
 */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const mediaType = mediaTypeOf(contentType);
  return mediaType === "application/json" || /^[a-z0-9!#$&^_.-]+\/[a-z0-9!#$&^_.+-]+\+json$/.test(mediaType);
}

/** The media type of a `Content-Type`, lower case, without parameters ("" for none). */
export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? "").split(";", 1)[0]!.trim().toLowerCase();
}

/** Whether a request carries a body at all (RFC 9112: a length above 0, or chunked). */
export function hasRequestBody(headers: IncomingHttpHeaders): boolean {
  if (headers["transfer-encoding"] !== undefined) return true;
  const length = Number(headers["content-length"] ?? 0);
  return !Number.isFinite(length) || length > 0;
}

/**
 * JSON bodies with a size limit; a body that cannot be read is answered here with OpenAI's error
 * object (Nest would turn it into a bare 400, or a 500 for a charset it cannot decode, and lose why).
 */
export function bodyParsing(limit: string) {
  return [
    json({ limit, type: (req) => isJsonContentType(req.headers["content-type"]) }),
    (err: unknown, _req: Request, res: Response, next: NextFunction) => {
      const error = bodyReadError(err, limit);
      if (error === null) {
        next(err);
        return;
      }
      res.status(error.status).json(error.body());
    },
  ];
}

/**
 * What a body-parser failure means for the client (body-parser's error `type`s); null for an
 * error that is not about reading the body.
 */
export function bodyReadError(err: unknown, limit: string): HttpApiError | null {
  const { type, status, message } = (err ?? {}) as { type?: unknown; status?: unknown; message?: unknown };
  const reason = typeof message === "string" ? message : "unreadable body";
  switch (type) {
    case "entity.parse.failed":
      return HttpApiError.invalid(`the request body is not valid JSON: ${reason}`, null, "invalid_json");
    case "entity.too.large":
      return new HttpApiError(
        413,
        `the request body is larger than ${limit}`,
        "invalid_request_error",
        "body_too_large",
      );
    case "charset.unsupported":
      return unsupportedMediaType(
        `${reason}; send JSON in UTF-8 (charset=utf-8, or no charset)`,
        "unsupported_charset",
      );
    case "encoding.unsupported":
      return unsupportedMediaType(
        `${reason}; send the body as is, or with Content-Encoding gzip, deflate or br`,
        "unsupported_content_encoding",
      );
    case "request.aborted":
      return new HttpApiError(400, "the client aborted the request body", "invalid_request_error", "request_aborted");
    default:
      // Anything else body-parser, raw-body or zlib (a body that does not inflate) reports about the
      // request itself carries a 4xx.
      if (typeof status === "number" && status >= 400 && status < 500)
        return new HttpApiError(status, reason, "invalid_request_error", "invalid_body");
      return null;
  }
}

/** 415 in OpenAI's shape: a body this gateway does not read. */
export function unsupportedMediaType(message: string, code = "unsupported_media_type"): HttpApiError {
  return new HttpApiError(415, message, "invalid_request_error", code);
}
