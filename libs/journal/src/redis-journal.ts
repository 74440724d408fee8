import type { Redis } from "ioredis";
import { z } from "zod";
import { MAX_END_REASON_CHARS, samplingSchema, sessionEndReasonSchema, tokensSchema } from "#contracts";
import {
  JournalCorruptError,
  JournalGapError,
  type JournalEntry,
  type SessionHeader,
  type SessionJournal,
  type SessionRecord,
} from "./journal.js";

const DAY_SECONDS = 24 * 3600;

/**
 * KEYS: owner, entries. ARGV: owner, entry (JSON), at, seconds to keep the entries.
 * 1: appended, or already there (an earlier attempt got through); 0: not the owner; -n-1: a hole,
 * the list holds n entries. Owner check and append in one step: an owner that lost the session
 * writes nothing.
 */
const APPEND_IF_OWNER = `
if redis.call("GET", KEYS[1]) ~= ARGV[1] then return 0 end
local length = redis.call("LLEN", KEYS[2])
local at = tonumber(ARGV[3])
if at < length then return 1 end
if at > length then return -length - 1 end
redis.call("RPUSH", KEYS[2], ARGV[2])
redis.call("EXPIRE", KEYS[2], ARGV[4])
return 1`;

/** The append script as a command of the connection (ioredis `defineCommand`). */
const APPEND_COMMAND = "specfleetJournalAppend";
type AppendCommand = Record<
  typeof APPEND_COMMAND,
  (ownerKey: string, entriesKey: string, owner: string, entry: string, at: number, ttl: number) => Promise<unknown>
>;

const headerSchema = z.object({
  sessionId: z.string(),
  model: z.string(),
  promptTokens: tokensSchema,
  maxTokens: z.number().int().positive(),
  sampling: samplingSchema,
  openedAt: z.number(),
});
const entrySchema = z.object({
  index: z.number().int().nonnegative(),
  tokens: tokensSchema,
  text: z.string(),
  end: z
    .object({
      finishReason: sessionEndReasonSchema,
      generatedTokens: z.number().int().nonnegative(),
      reason: z.string().max(MAX_END_REASON_CHARS).optional(),
    })
    .optional(),
});

/**
 * The session journal in Redis: a header, an owner and a list of entries per session. Each
 * append is one script (owner check, place check, then RPUSH), acknowledged before the verifier
 * publishes the tokens (with redis-server's append-only file on, they survive its restart too).
 * A finished session's keys expire.
 */
export class RedisJournal implements SessionJournal {
  constructor(
    private readonly redis: Redis,
    private readonly keepFinishedSeconds = 600,
    private readonly prefix = "specfleet:journal",
  ) {
    // Sent as EVALSHA (the script's text once, then its digest: a round's append is a few bytes).
    if (!(APPEND_COMMAND in redis)) redis.defineCommand(APPEND_COMMAND, { numberOfKeys: 2, lua: APPEND_IF_OWNER });
  }

  async begin(header: SessionHeader, owner: string): Promise<void> {
    // NX: a verifier resuming the session must not overwrite the original header.
    await this.redis
      .multi()
      .set(this.headerKey(header.sessionId), JSON.stringify(header), "EX", DAY_SECONDS, "NX")
      .set(this.ownerKey(header.sessionId), owner, "EX", DAY_SECONDS)
      .exec();
  }

  async claim(sessionId: string, owner: string): Promise<void> {
    await this.redis.set(this.ownerKey(sessionId), owner, "EX", DAY_SECONDS);
  }

  async append(sessionId: string, entry: JournalEntry, owner: string, at: number): Promise<boolean> {
    const outcome = Number(
      await (this.redis as unknown as AppendCommand)[APPEND_COMMAND](
        this.ownerKey(sessionId),
        this.entriesKey(sessionId),
        owner,
        JSON.stringify(entry),
        at,
        DAY_SECONDS,
      ),
    );
    if (outcome < 0) throw new JournalGapError(sessionId, at, -outcome - 1);
    return outcome === 1;
  }

  async read(sessionId: string): Promise<SessionRecord | null> {
    const [header, entries] = await Promise.all([
      this.redis.get(this.headerKey(sessionId)),
      this.redis.lrange(this.entriesKey(sessionId), 0, -1),
    ]);
    if (header === null) return null;
    const parsedHeader = headerSchema.safeParse(parseJson(header));
    if (!parsedHeader.success) throw new JournalCorruptError(sessionId, parsedHeader.error.issues[0]?.message ?? "");
    const parsedEntries = entries.map((e, i) => {
      const parsed = entrySchema.safeParse(parseJson(e));
      if (!parsed.success) throw new JournalCorruptError(sessionId, `entry ${i}: ${parsed.error.issues[0]?.message}`);
      return parsed.data;
    });
    return { header: parsedHeader.data as SessionHeader, entries: parsedEntries as JournalEntry[] };
  }

  async finish(sessionId: string): Promise<void> {
    await this.redis
      .multi()
      .expire(this.headerKey(sessionId), this.keepFinishedSeconds)
      .expire(this.entriesKey(sessionId), this.keepFinishedSeconds)
      .expire(this.ownerKey(sessionId), this.keepFinishedSeconds)
      .exec();
  }

  private headerKey(sessionId: string): string {
    return `${this.prefix}:${sessionId}:header`;
  }

  private ownerKey(sessionId: string): string {
    return `${this.prefix}:${sessionId}:owner`;
  }

  private entriesKey(sessionId: string): string {
    return `${this.prefix}:${sessionId}:entries`;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
