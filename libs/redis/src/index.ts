import { Redis, type RedisOptions } from "ioredis";
import type { Logger } from "#logging";

/**
 * The one way SpecFleet reaches Redis. Every actor that keeps state there (registry, scheduler,
 * verifier journal) connects through this, so reconnection, naming and error logging are alike.
 *
 * `failFast`: a command fails after a few reconnect attempts instead of waiting for Redis to come
 * back (the verifier's journal must fail a round rather than stall it); by default commands wait.
 */
export function connectRedis(url: string, name: string, log: Logger, options: { failFast?: boolean } = {}): Redis {
  const redis = new Redis(url, redisOptions(name, options));
  let reported = false;
  redis.on("error", (err: Error) => {
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
