import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isLoopbackHost } from "#config";

/** Where `fleet up` keeps the admin token it made: `<secrets folder>/admin-token`. */
export const ADMIN_TOKEN_FILE = "admin-token";

/** The gateway's admin token of a `fleet up`, and where it came from. */
export interface FleetAdminToken {
  token: string;
  /** `env`: GATEWAY_ADMIN_TOKEN; `file`: kept from an earlier start; `new`: made now. */
  source: "env" | "file" | "new";
  /** The file holding it (`file`, `new`). */
  file?: string;
}

/**
 * The admin token of a fleet whose gateway listens on `host`: GATEWAY_ADMIN_TOKEN when given;
 * otherwise, beyond loopback (where the gateway refuses to start without one), the token in
 * `<secretsDir>/admin-token`, made at the first such start (32 random bytes, base64url; the folder
 * 0700, the file 0600) and kept for the next; on loopback none: the admin API then answers this
 * machine only, as before.
 */
export function fleetAdminToken(host: string, given: string | undefined, secretsDir: string): FleetAdminToken | null {
  if (given !== undefined && given !== "") return { token: given, source: "env" };
  if (isLoopbackHost(host)) return null;
  const file = join(secretsDir, ADMIN_TOKEN_FILE);
  if (existsSync(file)) {
    const token = readFileSync(file, "utf8").trim();
    if (token.length < 8)
      throw new Error(`${file} holds no admin token of at least 8 characters: remove it (a new one is made) or fix it`);
    return { token, source: "file", file };
  }
  mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString("base64url");
  // "wx": never overwrite a token another start wrote in the meantime.
  writeFileSync(file, `${token}\n`, { mode: 0o600, flag: "wx" });
  return { token, source: "new", file };
}

/** Enough of a token to tell which it is, never enough to use it: `AbCd…`. */
export function tokenPrefix(token: string): string {
  return `${token.slice(0, 4)}…`;
}
