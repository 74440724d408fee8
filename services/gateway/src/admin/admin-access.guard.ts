import { Inject, Injectable, type CanActivate, type ExecutionContext } from "@nestjs/common";
import type { Request } from "express";
import type { GatewayConfig } from "#config";
import {
  bearerToken,
  crossSiteReason,
  hasRequestBody,
  HttpApiError,
  isJsonContentType,
  mediaTypeOf,
  SecretToken,
  unsupportedMediaType,
  type HostAllowList,
} from "#http";
import { GATEWAY_CONFIG } from "../tokens.js";
import { adminHostAllowList } from "./admin-hosts.js";

/**
 * The door of every `/admin` controller, in this order: the `Host` must be one the gateway
 * answers to (loopback, its bound address, GATEWAY_ALLOWED_HOSTS: DNS rebinding), a browser's
 * request must come from the gateway's own origin (`Origin`, `Sec-Fetch-Site`), a request that
 * changes something must send JSON or nothing (a form or `text/plain` POST, which a browser sends
 * cross-site without asking, is a 415 even when empty), and when GATEWAY_ADMIN_TOKEN is set it
 * must be the bearer token (compared in constant time). The gateway refuses to start beyond
 * loopback without a token (libs/config/src/gateway.ts), so only a loopback admin API is open.
 */
@Injectable()
export class AdminAccessGuard implements CanActivate {
  private readonly hosts: HostAllowList;
  private readonly token: SecretToken | null;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.hosts = adminHostAllowList(config);
    this.token = config.GATEWAY_ADMIN_TOKEN ? new SecretToken(config.GATEWAY_ADMIN_TOKEN) : null;
  }

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    const { headers } = req;
    if (!this.hosts.allows(headers.host))
      throw new HttpApiError(
        403,
        `the admin API does not answer to the Host '${headers.host ?? ""}': call it by a loopback name or the address the gateway listens on, or add the name to GATEWAY_ALLOWED_HOSTS`,
        "permission_denied",
        "host_not_allowed",
      );
    const crossSite = crossSiteReason(headers, "use this gateway's admin API");
    if (crossSite) throw new HttpApiError(403, crossSite, "permission_denied", "cross_site_request");
    const contentType = headers["content-type"];
    if (
      req.method !== "GET" &&
      req.method !== "HEAD" &&
      (contentType !== undefined || hasRequestBody(headers)) &&
      !isJsonContentType(contentType)
    )
      throw unsupportedMediaType(
        `the admin API takes JSON bodies (Content-Type: application/json) or none, not '${mediaTypeOf(contentType)}'`,
      );
    if (this.token === null) return true;
    const given = bearerToken(headers.authorization);
    if (given !== null && this.token.matches(given)) return true;
    throw new HttpApiError(
      401,
      "the admin API needs 'Authorization: Bearer <GATEWAY_ADMIN_TOKEN>'",
      "authentication_error",
      "invalid_admin_token",
    );
  }
}
