import { z } from "zod";
import { intVar } from "./load.js";
import { checkRedisAuth, redisVars } from "./redis.js";
import { common } from "./services.js";
import { isLoopbackHost } from "./loopback.js";

/** `gateway.example.com`, `.example.com` (every name under it), `10.0.0.5`, `[2001:db8::1]`: no port. */
const hostName = /^(\.?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])$/;
const namesOf = (list: string) =>
  list
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
const allowedHostList = z
  .string()
  .refine(
    (list) => namesOf(list).every((name) => hostName.test(name)),
    "comma-separated host names without a port (gateway.example.com, .example.com for every name under it, [2001:db8::1])",
  )
  .transform(namesOf)
  .default([]);

/** The gateway's variables; `gatewayConfigSchema` adds the checks across them. */
const gatewayVariables = z.object({
  ...common,
  GATEWAY_HOST: z.string().default("127.0.0.1"),
  GATEWAY_PORT: intVar(8080, 0, 65535),
  /** Upper bound for `max_tokens`. */
  GATEWAY_MAX_TOKENS: intVar(4096, 1),
  /**
   * A chat request's `max_completion_tokens` when it gives none (OpenAI's is "up to the context";
   * a fleet's verifiers refuse a prompt plus this beyond their context, so it is bounded).
   */
  GATEWAY_CHAT_MAX_TOKENS: intVar(256, 1),
  /** Largest accepted prompt, in characters; longer prompts get a 400 before any work. */
  GATEWAY_MAX_PROMPT_CHARS: intVar(200_000, 1),
  GATEWAY_BODY_LIMIT: z.string().default("1mb"),
  /** A client must send all of a request's headers within this (slow-header clients are cut off with a 408). */
  GATEWAY_HEADERS_TIMEOUT_MS: intVar(10_000, 100),
  /** A client must send a whole request, headers and body, within this: a stalled body is cut off with a 408. */
  GATEWAY_REQUEST_TIMEOUT_MS: intVar(30_000, 100),
  /** An idle keep-alive connection is closed after this; above a load balancer's idle timeout (60 s on most). */
  GATEWAY_KEEP_ALIVE_TIMEOUT_MS: intVar(65_000, 100),
  /** Open connections at most (streams included); beyond, new connections are closed at once (0: no cap). */
  GATEWAY_MAX_CONNECTIONS: intVar(1024, 0),
  /** Largest request line plus headers, in bytes; beyond, a 431. */
  GATEWAY_MAX_HEADER_BYTES: intVar(16_384, 1024, 1_048_576),
  /** Time without any token from a session before the gateway gives up on it. */
  GATEWAY_IDLE_TIMEOUT_MS: intVar(60_000, 100),
  /** A stream without an event this long asks its verifier to replay from the journal. */
  GATEWAY_REPLAY_AFTER_MS: intVar(2000, 50),
  /**
   * When set, every call to the admin API (/admin/…) needs `Authorization: Bearer <token>`
   * (compared in constant time). Required when GATEWAY_HOST is beyond loopback, unless
   * GATEWAY_ADMIN_API=off: the gateway refuses to start otherwise.
   */
  GATEWAY_ADMIN_TOKEN: z.string().min(8, "at least 8 characters").optional(),
  /**
   * `off`: the admin API (/admin/devices, /admin/keys) is not mounted at all (404), so a gateway
   * may listen beyond loopback without GATEWAY_ADMIN_TOKEN (operators then use the dashboard, or
   * another gateway). Default `on`.
   */
  GATEWAY_ADMIN_API: z.enum(["on", "off"]).default("on"),
  /**
   * Comma-separated `Host` names the admin API answers to, besides loopback names and the address
   * it is bound to (every address of the machine when bound to 0.0.0.0 or ::): any other `Host` is
   * a 403 `host_not_allowed` (a page that rebinds its own name to the gateway, DNS rebinding).
   * `.example.com` allows every name under example.com. No port.
   */
  GATEWAY_ALLOWED_HOSTS: allowedHostList,
  /**
   * Lowest `priority` a caller without an API key may ask for (lower is served first): by default
   * anonymous callers cannot jump the queue; keys carry their own range.
   */
  GATEWAY_ANON_PRIORITY_MIN: intVar(0, -1000, 1000),
  /** How long an API key lookup (and whether any key exists) is cached: a revocation takes effect within it. */
  GATEWAY_KEY_CACHE_MS: intVar(1000, 0, 60_000),
  /**
   * How long a /v1 call waits for Redis to answer an API key lookup the cache cannot: beyond it the
   * call is a 503 `key_store_unavailable` with Retry-After, rather than waiting as long as Redis is down.
   */
  GATEWAY_KEY_LOOKUP_TIMEOUT_MS: intVar(2000, 10, 60_000),
  /** The fraction of the fleet's sessions that jobs' requests may take at once (the rest stays for interactive requests). */
  JOBS_FLEET_SHARE: z.coerce.number().min(0.01).max(1).default(0.75),
  /** Added to the priority of every job request (lower is served first): interactive requests (0) go first. */
  JOBS_PRIORITY_OFFSET: intVar(100, 0, 1000),
  /** A finished job, its results and events are kept this long, then deleted. */
  JOBS_RETENTION_HOURS: intVar(168, 1, 24 * 365),
  /** An `Idempotency-Key` is remembered this long (the same key then makes a new job). */
  JOBS_IDEMPOTENCY_HOURS: intVar(24, 1, 24 * 365),
  /** Requests in one job at most. */
  JOBS_MAX_REQUESTS: intVar(50_000, 1, 1_000_000),
  /** Largest `POST /v1/jobs` body. */
  JOBS_BODY_LIMIT: z.string().default("32mb"),
  /** A job with at most this many requests shows their results in `GET /v1/jobs/{id}`. */
  JOBS_INLINE_RESULTS: intVar(16, 0, 1000),
  /** Jobs one gateway runs at once (each runs its requests within the fleet's share). */
  JOBS_CONCURRENT: intVar(64, 1, 10_000),
  /** Tries of a request that fails for a reason other than a busy fleet before it is recorded as failed. */
  JOBS_REQUEST_ATTEMPTS: intVar(5, 1, 100),
  /** The seconds `Retry-After` tells a client polling a job to wait. */
  JOBS_POLL_AFTER_S: intVar(2, 1, 3600),
  /** Signs completion webhooks of jobs sent without an API key (keys have their own secret); unset: such jobs may not have a webhook. */
  JOBS_WEBHOOK_SECRET: z.string().min(16, "at least 16 characters").optional(),
  /**
   * Largest file `POST /v1/files` takes, in bytes (a 413 beyond). An upload is held in the
   * gateway's memory while it is read, then kept whole in Redis: size Redis's memory for it
   * (Redis keeps a string up to 512 MiB).
   */
  FILES_MAX_BYTES: intVar(100 * 1024 * 1024, 1, 512 * 1024 * 1024),
  /** An uploaded file is deleted this long after its upload (a batch's output and error files live as long as the batch). */
  FILES_RETENTION_HOURS: intVar(720, 1, 24 * 365),
  /** Jobs, files, API keys and usage are kept in Redis (libs/config/src/redis.ts). */
  ...redisVars,
});

/** The gateway's configuration: the HTTP edge, completions, jobs, files and API keys. */
export const gatewayConfigSchema = gatewayVariables.superRefine(checkRedisAuth).superRefine((config, ctx) => {
  // Beyond loopback anyone who reaches the port could drain the fleet and make API keys.
  if (config.GATEWAY_ADMIN_API === "on" && !config.GATEWAY_ADMIN_TOKEN && !isLoopbackHost(config.GATEWAY_HOST))
    ctx.addIssue({
      code: "custom",
      path: ["GATEWAY_ADMIN_TOKEN"],
      message: `the gateway listens beyond loopback (GATEWAY_HOST=${config.GATEWAY_HOST}), where anyone could use its admin API (drain devices, make API keys): set GATEWAY_ADMIN_TOKEN (at least 8 characters), or bind GATEWAY_HOST=127.0.0.1, or turn the admin API off with GATEWAY_ADMIN_API=off`,
    });
});
export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
