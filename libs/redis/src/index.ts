import { Redis, type RedisOptions } from "ioredis";
import type { Logger } from "#logging";
import { endpointParts, type RedisEndpoint } from "./endpoint.js";
import { exitOnRefusal, refusalOf, type RedisRefusedError } from "./refusal.js";

export * from "./endpoint.js";
export * from "./refusal.js";

export interface ConnectRedisOptions {
  /** Commands fail after a few reconnect attempts instead of waiting for Redis to come back. */
  failFast?: boolean;
  /** What to do when Redis refuses the credentials (default: log, tell stderr and exit the process). */
  onRefused?: (error: RedisRefusedError) => void;
}

/**
 * The one way SpecFleet reaches Redis. Every actor that keeps state there (registry, scheduler,
 * verifier journal, gateway) connects through this, so credentials, reconnection, naming and
 * error logging are alike.
 *
 * `failFast`: a command fails after a few reconnect attempts instead of waiting for Redis to come
 * back (the verifier's journal must fail a round rather than stall it); by default commands wait.
 * A refusal (wrong password, a password needed, a user without the commands every connection
 * needs) is not an outage: reconnecting cannot cure it, so `onRefused` is called once and the
 * connection is dropped; by default the process exits saying what to fix.
 */
export function connectRedis(
  endpoint: RedisEndpoint | string,
  name: string,
  log: Logger,
  options: ConnectRedisOptions = {},
): Redis {
  const { url, options: auth } = endpointParts(endpoint);
  const redis = new Redis(url, { ...redisOptions(name, options), ...auth });
  const onRefused = options.onRefused ?? exitOnRefusal(log);
  let reported = false;
  let refused = false;
  redis.on("error", (err: Error) => {
    const refusal = refusalOf(err, name, auth.username);
    if (refusal) {
      if (refused) return;
      refused = true;
      redis.disconnect();
      onRefused(refusal);
      return;
    }
    // ioredis emits an error per reconnect attempt; one line per outage is enough.
    if (!reported) log.warn({ redis: name, err: err.message }, "redis unreachable; reconnecting");
    reported = true;
  });
  redis.on("ready", () => {
    if (reported) log.info({ redis: name }, "redis reachable again");
    reported = false;
  });
  return redis;
}

/** The options every SpecFleet Redis client is made with. */
export function redisOptions(name: string, options: { failFast?: boolean } = {}): RedisOptions {
  return {
    connectionName: `specfleet-${name}`,
    maxRetriesPerRequest: options.failFast ? 3 : null,
    enableOfflineQueue: true,
  };
}

/** Closes politely, or drops the connection when Redis is not answering. */
export async function closeRedis(redis: Redis): Promise<void> {
  await redis.quit().catch(() => redis.disconnect());
}
