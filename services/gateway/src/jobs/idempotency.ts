import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { HttpApiError } from "#http";
import type { Tenant } from "./job.js";

/** What an `Idempotency-Key` says about a request (IETF draft-ietf-httpapi-idempotency-key-header). */
export type KeyedOutcome =
  /** First use: go on, then `settle` (or `forget` if nothing was made). */
  | { kind: "new" }
  /** The same key and body made this job before: answer with it again. */
  | { kind: "replay"; jobId: string };

const keyOf = (tenant: Tenant, key: string) => `specfleet:idempotency:${tenant}:${key}`;

/**
 * Remembers, per tenant, which job each `Idempotency-Key` made and a fingerprint of the body it
 * came with, for `ttlMs`. The same key and body give back the same job; the same key with another
 * body is a 422; a key whose first request is still being handled is a 409.
 */
export class IdempotencyKeys {
  constructor(
    private readonly redis: Redis,
    private readonly ttlMs: number,
  ) {}

  /** Checks a key against a body; claims the key when it is new. */
  async claim(tenant: Tenant, key: string, body: unknown): Promise<KeyedOutcome> {
    checkKey(key);
    const fingerprint = fingerprintOf(body);
    const claimed = await this.redis.set(
      keyOf(tenant, key),
      JSON.stringify({ fingerprint, jobId: null }),
      "PX",
      this.ttlMs,
      "NX",
    );
    if (claimed === "OK") return { kind: "new" };
    const stored = JSON.parse((await this.redis.get(keyOf(tenant, key))) ?? "null") as {
      fingerprint: string;
      jobId: string | null;
    } | null;
    // Expired between the two commands: claim it again.
    if (stored === null) return this.claim(tenant, key, body);
    if (stored.fingerprint !== fingerprint)
      throw new HttpApiError(
        422,
        "this Idempotency-Key was used with another request body; use a new key for a new request",
        "invalid_request_error",
        "idempotency_key_reused",
        "Idempotency-Key",
      );
    if (stored.jobId === null)
      throw new HttpApiError(
        409,
        "a request with this Idempotency-Key is still being handled; retry shortly",
        "invalid_request_error",
        "idempotency_key_in_use",
        "Idempotency-Key",
        1,
      );
    return { kind: "replay", jobId: stored.jobId };
  }

  /** The key made `jobId`. */
  async settle(tenant: Tenant, key: string, body: unknown, jobId: string): Promise<void> {
    await this.redis.set(
      keyOf(tenant, key),
      JSON.stringify({ fingerprint: fingerprintOf(body), jobId }),
      "PX",
      this.ttlMs,
      "XX",
    );
  }

  /** The request failed before making anything: the key may be used again. */
  async forget(tenant: Tenant, key: string): Promise<void> {
    await this.redis.del(keyOf(tenant, key));
  }
}

function checkKey(key: string): void {
  if (key.length === 0 || key.length > 255 || !/^[\x21-\x7e]+$/.test(key))
    throw HttpApiError.invalid(
      "Idempotency-Key must be 1 to 255 printable ASCII characters (a UUID is a good choice)",
      "Idempotency-Key",
      "invalid_idempotency_key",
    );
}

/** A body's fingerprint: SHA-256 of its JSON with keys sorted, so key order does not matter. */
export function fingerprintOf(body: unknown): string {
  return createHash("sha256").update(canonicalJson(body)).digest("hex");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object")
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(value) ?? "null";
}
