import { Injectable, SetMetadata, type CanActivate, type ExecutionContext } from "@nestjs/common";
import { Reflector } from "@nestjs/core";
import type { Request } from "express";
import { hasRequestBody, isJsonContentType, mediaTypeOf, unsupportedMediaType } from "#http";

const ACCEPTS_MULTIPART = "specfleet:accepts-multipart";

/**
 * A route that takes `multipart/form-data` (an upload, OpenAI's Files API) says so on its handler
 * or controller; every other route takes JSON bodies only.
 */
export const AcceptsMultipart = () => SetMetadata(ACCEPTS_MULTIPART, true);

/**
 * JSON bodies only, unless the route accepts multipart: any other body is a 415, so a cross-site
 * `text/plain` or form POST (which a browser sends without a preflight) never reaches a handler.
 * Requests without a body (GET, a bodiless POST) pass.
 */
@Injectable()
export class JsonBodyGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== "http") return true;
    const req = context.switchToHttp().getRequest<Request>();
    if (!hasRequestBody(req.headers)) return true;
    const contentType = req.headers["content-type"];
    if (isJsonContentType(contentType)) return true;
    const multipart = this.reflector.getAllAndOverride<boolean | undefined>(ACCEPTS_MULTIPART, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (multipart === true && mediaTypeOf(contentType) === "multipart/form-data") return true;
    const accepted = multipart === true ? "application/json or multipart/form-data" : "application/json";
    throw unsupportedMediaType(
      contentType === undefined
        ? `the request has a body but no Content-Type; send ${accepted}`
        : `Content-Type '${mediaTypeOf(contentType)}' is not supported here; send ${accepted}`,
    );
  }
}
