import { createHash, timingSafeEqual } from "node:crypto";

/**
 * A configured secret (an admin token), kept only as its SHA-256 digest: a token a caller gives
 * is hashed too and the two 32-byte digests compared with `timingSafeEqual`, so the time taken
 * tells neither how much of it matched nor how long the real one is.
 */
export class SecretToken {
  private readonly digest: Buffer;

  constructor(secret: string) {
    this.digest = digestOf(secret);
  }

  /** Whether `given` is the secret, in constant time. */
  matches(given: string): boolean {
    return timingSafeEqual(digestOf(given), this.digest);
  }
}

/** Whether two secrets are equal, in time independent of their content and of their lengths. */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digestOf(given), digestOf(expected));
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), or null. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match ? match[1]! : null;
}

function digestOf(secret: string): Buffer {
  return createHash("sha256").update(secret, "utf8").digest();
}
