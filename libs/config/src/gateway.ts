import { z } from "zod";
import { intVar } from "./load.js";
import { common } from "./services.js";

/** The gateway's configuration: the HTTP edge, completions, jobs, files and API keys. */
export const gatewayConfigSchema = z.object({
  ...common,
  GATEWAY_HOST: z.string().default("127.0.0.1"),
  GATEWAY_PORT: intVar(8080, 0, 65535),
  /** Upper bound for `max_tokens`. */
  GATEWAY_MAX_TOKENS: intVar(4096, 1),
  /** Largest accepted prompt, in characters; longer prompts get a 400 before any work. */
  GATEWAY_MAX_PROMPT_CHARS: intVar(200_000, 1),
  GATEWAY_BODY_LIMIT: z.string().default("1mb"),
  /** Time without any token from a session before the gateway gives up on it. */
  GATEWAY_IDLE_TIMEOUT_MS: intVar(60_000, 100),
  /** A stream without an event this long asks its verifier to replay from the journal. */
  GATEWAY_REPLAY_AFTER_MS: intVar(2000, 50),
  /** When set, the admin API (/admin/…) needs `Authorization: Bearer <token>`. */
  GATEWAY_ADMIN_TOKEN: z.string().min(8, "at least 8 characters").optional(),
  /**
   * Lowest `priority` a caller without an API key may ask for (lower is served first): by default
   * anonymous callers cannot jump the queue; keys carry their own range.
   */
  GATEWAY_ANON_PRIORITY_MIN: intVar(0, -1000, 1000),
  /** How long an API key lookup (and whether any key exists) is cached: a revocation takes effect within it. */
  GATEWAY_KEY_CACHE_MS: intVar(1000, 0, 60_000),
  /** Jobs, files, API keys and usage are kept here. */
  REDIS_URL: z.string().default("redis://127.0.0.1:6379"),
});
export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
