import { createHash, randomBytes } from "node:crypto";

/** Every SpecFleet API key starts with this, so that a leaked one is recognised (secret scanners). */
export const KEY_PREFIX = "sk-sf-";
const WEBHOOK_SECRET_PREFIX = "whsec_";

/** 256 random bits: a key is found by its hash alone, so no salt or slow hash is needed (nothing to guess). */
export function newKeySecret(): string {
  return KEY_PREFIX + randomBytes(32).toString("base64url");
}

/** The per-key secret its jobs sign their completion webhooks with (HMAC-SHA256). */
export function newWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(32).toString("base64url");
}

/** What is stored instead of a secret: its SHA-256, hex. */
export function hashKeySecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** Enough of a secret to recognise it in a list, never enough to use it: `sk-sf-AbCd…wxyz`. */
export function displayOf(secret: string): string {
  return `${secret.slice(0, KEY_PREFIX.length + 4)}…${secret.slice(-4)}`;
}

/** Whether a bearer token is shaped like one of our keys (a cheap check before any lookup). */
export function looksLikeKey(token: string): boolean {
  return token.startsWith(KEY_PREFIX) && token.length >= KEY_PREFIX.length + 20 && token.length <= 200;
}
