import { z } from "zod";
import type { RedisEndpoint } from "#redis";
import { isLoopbackHost } from "./loopback.js";
import { secretFileVar, textFileVar, type FileSecret } from "./secret-file.js";

/** The variables that say how an actor reaches Redis, by name (for the local fleet, which sets them). */
export const REDIS_ENV = {
  url: "REDIS_URL",
  username: "REDIS_USERNAME",
  passwordFile: "REDIS_PASSWORD_FILE",
  tlsCa: "REDIS_TLS_CA",
  insecure: "REDIS_INSECURE",
} as const;

/**
 * How an actor reaches Redis, spread into every actor's schema that keeps state there (registry,
 * scheduler, verify-worker, gateway); each such schema also gets `.superRefine(checkRedisAuth)`.
 */
export const redisVars = {
  /**
   * `redis://host:port[/db]`, or `rediss://` for TLS. No password in it: a URL is logged and shown
   * in process lists, so the password lives in the file REDIS_PASSWORD_FILE names.
   */
  REDIS_URL: z
    .url({ protocol: /^rediss?$/, error: "a redis:// or rediss:// URL" })
    .refine(
      (url) => new URL(url).password === "",
      "no password in the URL: put it in a file named by REDIS_PASSWORD_FILE",
    )
    .default("redis://127.0.0.1:6379"),
  /** The Redis ACL user this actor logs in as (one per role: gateway, scheduler, registry, verifier); unset: `default`. */
  REDIS_USERNAME: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, "letters, digits, '.', '-' or '_'")
    .optional(),
  /** A file holding the Redis user's password, read once at boot (never logged). Required beyond loopback. */
  REDIS_PASSWORD_FILE: secretFileVar("the Redis password").optional(),
  /** With a rediss:// URL: a PEM file of the CA that signed the server's certificate (default: the system's CAs). */
  REDIS_TLS_CA: textFileVar("the Redis CA certificate").optional(),
  /** `true` lets an actor reach a Redis beyond loopback without a password (a private network you trust). */
  REDIS_INSECURE: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true"),
};

/** The part of an actor's configuration `redisVars` parse into. */
export interface RedisAuthConfig {
  REDIS_URL: string;
  REDIS_USERNAME?: string;
  REDIS_PASSWORD_FILE?: FileSecret;
  REDIS_TLS_CA?: string;
  REDIS_INSECURE?: boolean;
}

/** Refuses a Redis beyond loopback reached without a password, and a CA without TLS. */
export function checkRedisAuth(config: RedisAuthConfig, ctx: z.RefinementCtx): void {
  const url = new URL(config.REDIS_URL);
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (!config.REDIS_PASSWORD_FILE && !config.REDIS_INSECURE && !isLoopbackHost(host))
    ctx.addIssue({
      code: "custom",
      path: ["REDIS_PASSWORD_FILE"],
      message: `REDIS_URL points beyond loopback (${host}), where anyone on the network could read and edit the fleet's state: set REDIS_USERNAME and REDIS_PASSWORD_FILE (a file holding the password), or REDIS_INSECURE=true on a network you trust`,
    });
  if (config.REDIS_TLS_CA !== undefined && url.protocol !== "rediss:")
    ctx.addIssue({
      code: "custom",
      path: ["REDIS_TLS_CA"],
      message: "a CA is given but REDIS_URL is not rediss://: use rediss:// for TLS, or unset REDIS_TLS_CA",
    });
}

/** What libs/redis `connectRedis` needs, from a parsed configuration. */
export function redisEndpointOf(config: RedisAuthConfig): RedisEndpoint {
  return {
    url: config.REDIS_URL,
    username: config.REDIS_USERNAME,
    password: config.REDIS_PASSWORD_FILE?.reveal(),
    tlsCa: config.REDIS_TLS_CA,
  };
}
