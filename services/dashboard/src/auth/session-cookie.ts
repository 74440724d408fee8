import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { dashboardRoleSchema, type DashboardRole } from "#contracts";

export const SESSION_COOKIE = "specfleet_dashboard";
/** A login lasts this long. */
export const SESSION_TTL_MS = 12 * 3600_000;

/**
 * A login's cookie: `<payload>.<signature>`, the payload (base64url JSON: role and expiry)
 * signed with HMAC-SHA256 under a secret drawn at random when the process starts, so nothing is
 * stored and a restarted dashboard asks everyone to log in again.
 */
export class SessionSigner {
  constructor(private readonly secret: Buffer = randomBytes(32)) {}

  sign(role: DashboardRole, expiresAt: number): string {
    const payload = Buffer.from(JSON.stringify({ role, exp: expiresAt })).toString("base64url");
    return `${payload}.${this.mac(payload)}`;
  }

  /** The role of a valid, unexpired cookie value; null for anything else. */
  verify(value: string, now: number): DashboardRole | null {
    const dot = value.indexOf(".");
    if (dot <= 0) return null;
    const payload = value.slice(0, dot);
    const given = Buffer.from(value.slice(dot + 1), "base64url");
    const expected = Buffer.from(this.mac(payload), "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    try {
      const { role, exp } = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as {
        role?: unknown;
        exp?: unknown;
      };
      const parsed = dashboardRoleSchema.safeParse(role);
      return parsed.success && typeof exp === "number" && exp > now ? parsed.data : null;
    } catch {
      return null;
    }
  }

  private mac(payload: string): string {
    return createHmac("sha256", this.secret).update(payload).digest("base64url");
  }
}

/** One cookie's value from a `Cookie` header (undefined when absent). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The `Set-Cookie` header of a login (value) or a logout (null): HttpOnly, SameSite=Strict, Secure over HTTPS. */
export function sessionCookieHeader(value: string | null, secure: boolean, ttlMs = SESSION_TTL_MS): string {
  const parts = [
    `${SESSION_COOKIE}=${value ?? ""}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Strict",
    `Max-Age=${value === null ? 0 : Math.floor(ttlMs / 1000)}`,
  ];
  if (secure) parts.push("Secure");
  return parts.join("; ");
}
