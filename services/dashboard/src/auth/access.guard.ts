import { Inject, Injectable, SetMetadata, type CanActivate, type ExecutionContext } from "@nestjs/common";
import { Reflector } from "@nestjs/core";
import type { Request } from "express";
import { crossSiteReason, hasRequestBody, HttpApiError, isJsonContentType, isLoopbackHostHeader } from "#http";
import { DASHBOARD_AUTH } from "../tokens.js";
import type { DashboardAuth } from "./dashboard-auth.js";

/** Who may call a route: anyone, any logged-in user (viewer or admin), or an admin. */
export type Access = "public" | "viewer" | "admin";
const ACCESS = "dashboard:access";
/** Declares a handler's (or controller's) access; a route without it is admin-only. */
export const Allow = (access: Access) => SetMetadata(ACCESS, access);

/**
 * Every route's door (a global guard): the Host of a dashboard without tokens, the origin of a
 * POST, a JSON body or none, then the caller's role against the route's `@Allow`.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(DASHBOARD_AUTH) private readonly auth: DashboardAuth,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    const access =
      this.reflector.getAllAndOverride<Access | undefined>(ACCESS, [context.getHandler(), context.getClass()]) ??
      "admin";
    if (access === "public" && req.method === "GET") return true;
    // Without tokens the dashboard trusts whoever reaches it, which is only this machine: a Host
    // other than loopback is a web page that rebound its own name to 127.0.0.1 (DNS rebinding).
    if (this.auth.open && !isLoopbackHostHeader(req.headers.host))
      throw new HttpApiError(
        403,
        `the Host '${req.headers.host ?? ""}' is not this machine: without DASHBOARD_ADMIN_TOKEN the dashboard answers only on loopback names`,
        "permission_denied",
        "host_not_allowed",
      );
    if (req.method !== "GET" && req.method !== "HEAD") {
      const crossSite = crossSiteReason(req.headers, "change this dashboard");
      if (crossSite) throw new HttpApiError(403, crossSite, "permission_denied", "cross_site_request");
      if (hasRequestBody(req.headers) && !isJsonContentType(req.headers["content-type"]))
        throw new HttpApiError(
          415,
          "send a JSON body (Content-Type: application/json) or none",
          "invalid_request_error",
          "unsupported_media_type",
        );
    }
    if (access === "public") return true;
    const role = this.auth.roleOf(req.headers);
    if (role === null)
      throw new HttpApiError(
        401,
        "log in (POST /dashboard/api/login) or send 'Authorization: Bearer <DASHBOARD_ADMIN_TOKEN or DASHBOARD_VIEWER_TOKEN>'",
        "authentication_error",
        "not_logged_in",
      );
    if (access === "admin" && role !== "admin")
      throw new HttpApiError(
        403,
        "only an admin may do this; you are logged in as a viewer",
        "permission_denied",
        "admin_only",
      );
    return true;
  }
}
