import { Redis } from "ioredis";
import { z } from "zod";
import { completionJobSchema } from "#contracts";
import type { Logger } from "#logging";
import type { PlacedSession } from "./session-table.js";

const KEY = "specfleet:scheduler:sessions";
const placedSchema = z.object({
  job: completionJobSchema,
  verifierId: z.string(),
  drafterId: z.string().nullable(),
  placedAt: z.number(),
  wantsDrafter: z.boolean(),
  startedAt: z.record(z.string(), z.number()).default({}),
});

/**
 * The scheduler's running sessions, mirrored to a Redis hash: a restarted scheduler knows where
 * every session runs, so it can count their load and recover them if a worker dies later.
 */
export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly log: Logger,
  ) {}

  static connect(redisUrl: string, log: Logger): SessionStore {
    return new SessionStore(new Redis(redisUrl, { maxRetriesPerRequest: null }), log);
  }

  save(session: PlacedSession): void {
    this.redis
      .hset(KEY, session.job.sessionId, JSON.stringify(session))
      .catch((err: unknown) => this.log.warn({ err: String(err) }, "could not save a session"));
  }

  delete(sessionId: string): void {
    this.redis
      .hdel(KEY, sessionId)
      .catch((err: unknown) => this.log.warn({ err: String(err) }, "could not delete a session"));
  }

  async load(): Promise<PlacedSession[]> {
    const stored = await this.redis.hgetall(KEY);
    return Object.values(stored).flatMap((json) => {
      const parsed = placedSchema.safeParse(safeJson(json));
      return parsed.success ? [parsed.data] : [];
    });
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
