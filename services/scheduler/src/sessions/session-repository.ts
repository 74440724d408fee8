import type { Redis } from "ioredis";
import { z } from "zod";
import { completionJobSchema } from "#contracts";
import type { Logger } from "#logging";
import { fencedEval, type Fence } from "../leadership/leader-lease.js";
import type { PlacedSession, SessionRepository } from "./session-table.js";

const KEY = "specfleet:scheduler:sessions";
const placedSchema = z.object({
  job: completionJobSchema,
  verifierId: z.string(),
  drafterId: z.string().nullable(),
  placedAt: z.number(),
  wantsDrafter: z.boolean(),
  startedAt: z.record(z.string(), z.number()).default({}),
  promptTokens: z.number().int().nonnegative().nullable().default(null),
  generatedTokens: z.number().int().nonnegative().default(0),
});

/**
 * The scheduler's running sessions in a Redis hash (session id → placement): a restarted
 * scheduler knows where every session runs, so it can count their load and recover them.
 */
export class RedisSessionRepository implements SessionRepository {
  /**
   * `fence`: the scheduler leader's lease (services/scheduler/src/leadership): each write is made
   * only while it holds, atomically, so a deposed leader places, moves or forgets no session.
   * Unset: plain writes (a single scheduler without a lease, the repository's own tests).
   */
  constructor(
    private readonly redis: Redis,
    private readonly log: Logger,
    private readonly fence: () => Fence | null = () => null,
  ) {}

  async save(session: PlacedSession): Promise<void> {
    const json = JSON.stringify(session);
    const fence = this.fence();
    if (fence === null) await this.redis.hset(KEY, session.job.sessionId, json);
    else
      await fencedEval(
        this.redis,
        fence,
        "return redis.call('HSET', KEYS[3], ARGV[4], ARGV[5])",
        [KEY],
        [session.job.sessionId, json],
      );
  }

  async delete(sessionId: string): Promise<void> {
    const fence = this.fence();
    if (fence === null) await this.redis.hdel(KEY, sessionId);
    else await fencedEval(this.redis, fence, "return redis.call('HDEL', KEYS[3], ARGV[4])", [KEY], [sessionId]);
  }

  /** Every stored placement; an unreadable one is logged and dropped. */
  async load(): Promise<PlacedSession[]> {
    const stored = await this.redis.hgetall(KEY);
    const sessions: PlacedSession[] = [];
    for (const [sessionId, json] of Object.entries(stored)) {
      const parsed = placedSchema.safeParse(safeJson(json));
      if (parsed.success) sessions.push(parsed.data);
      else {
        this.log.warn({ sessionId }, "dropping an unreadable stored session");
        await this.redis.hdel(KEY, sessionId);
      }
    }
    return sessions;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
