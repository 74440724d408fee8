import type { IncomingHttpHeaders } from "node:http";
import type { DashboardRole } from "#contracts";
import { bearerToken, SecretToken } from "#http";
import { cookieValue, SESSION_COOKIE, SESSION_TTL_MS, SessionSigner } from "./session-cookie.js";

export interface DashboardTokens {
  admin?: string;
  viewer?: string;
}

/**
 * Who a caller is: `Authorization: Bearer <token>` (the CLI, Prometheus) or a login's cookie (the
 * page). Tokens are compared in constant time (`SecretToken`: their SHA-256 digests, so not even
 * their length leaks). With no token configured (a dashboard on loopback) everyone is an admin.
 */
export class DashboardAuth {
  private readonly admin: SecretToken | null;
  private readonly viewer: SecretToken | null;

  constructor(
    tokens: DashboardTokens,
    private readonly signer = new SessionSigner(),
    private readonly now: () => number = Date.now,
  ) {
    this.admin = tokens.admin ? new SecretToken(tokens.admin) : null;
    this.viewer = tokens.viewer ? new SecretToken(tokens.viewer) : null;
  }

  /** No token configured: nobody logs in, everyone is an admin. */
  get open(): boolean {
    return this.admin === null && this.viewer === null;
  }

  /** The role a token grants, or null. */
  roleOfToken(token: string): DashboardRole | null {
    // Both comparisons always run: the time does not tell which token matched.
    const admin = this.admin?.matches(token) ?? false;
    const viewer = this.viewer?.matches(token) ?? false;
    return admin ? "admin" : viewer ? "viewer" : null;
  }

  /** The caller's role from its headers, or null when it must log in. */
  roleOf(headers: IncomingHttpHeaders): DashboardRole | null {
    if (this.open) return "admin";
    const bearer = bearerToken(headers.authorization);
    if (bearer !== null) return this.roleOfToken(bearer);
    const cookie = cookieValue(headers.cookie, SESSION_COOKIE);
    return cookie ? this.signer.verify(cookie, this.now()) : null;
  }

  /** A login cookie's value for a role. */
  sessionFor(role: DashboardRole): string {
    return this.signer.sign(role, this.now() + SESSION_TTL_MS);
  }
}
