import { Inject, Injectable, type CanActivate, type ExecutionContext } from "@nestjs/common";
import type { Request } from "express";
import type { GatewayConfig } from "#config";
import { HttpApiError } from "#http";
import { GATEWAY_CONFIG } from "../tokens.js";
import { bearerToken, sameSecret } from "../keys/key-secret.js";

/**
 * The admin API's protection (every `/admin` controller uses it): when GATEWAY_ADMIN_TOKEN is set,
 * a call needs `Authorization: Bearer <token>`; without it the admin API is open (a local fleet).
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const token = this.config.GATEWAY_ADMIN_TOKEN;
    if (!token) return true;
    const given = bearerToken(context.switchToHttp().getRequest<Request>().headers.authorization);
    if (given !== null && sameSecret(given, token)) return true;
    throw new HttpApiError(
      401,
      "the admin API needs 'Authorization: Bearer <GATEWAY_ADMIN_TOKEN>'",
      "authentication_error",
      "invalid_admin_token",
    );
  }
}
