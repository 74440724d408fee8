import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { GREEDY_SAMPLING } from "#contracts";
import { startRedis, type ServerHandle } from "#infra";
import {
  committedTokens,
  JournalCorruptError,
  JournalGapError,
  journalledEnd,
  MemoryJournal,
  RedisJournal,
  type JournalEntry,
  type SessionHeader,
  type SessionJournal,
} from "#journal";

const header = (sessionId: string): SessionHeader => ({
  sessionId,
  model: "stories260K",
  promptTokens: [1, 7, 9],
  maxTokens: 16,
  sampling: GREEDY_SAMPLING,
  openedAt: 1_700_000_000_000,
});
const tokens = (index: number, ...ids: number[]): JournalEntry => ({ index, tokens: ids, text: ids.join(" ") });

interface Step {
  /** What the journal is asked, in order; `expect` is the call's outcome. */
  call: (journal: SessionJournal, sessionId: string) => Promise<unknown>;
  expect?: unknown;
  throws?: new (...args: never[]) => Error;
}
interface Case {
  name: string;
  steps: Step[];
  /** The entries a read finds at the end (null: no record). */
  entries: JournalEntry[] | null;
}

const begin = (owner: string): Step => ({ call: (j, id) => j.begin(header(id), owner) });
const claim = (owner: string): Step => ({ call: (j, id) => j.claim(id, owner) });
const append = (owner: string, at: number, entry: JournalEntry, expect: boolean): Step => ({
  call: (j, id) => j.append(id, entry, owner, at),
  expect,
});

/** The journal's contract, run against MemoryJournal and against RedisJournal's Lua script. */
const cases: Case[] = [
  {
    name: "keeps the owner's entries in order",
    steps: [begin("v1"), append("v1", 0, tokens(0, 5, 6), true), append("v1", 1, tokens(2, 8), true)],
    entries: [tokens(0, 5, 6), tokens(2, 8)],
  },
  {
    name: "refuses an append by a verifier that does not own the session",
    steps: [begin("v1"), append("v2", 0, tokens(0, 5), false)],
    entries: [],
  },
  {
    name: "fences the old owner once another claims the session",
    steps: [
      begin("v1"),
      append("v1", 0, tokens(0, 5), true),
      claim("v2"),
      append("v1", 1, tokens(1, 6), false),
      append("v2", 1, tokens(1, 7), true),
    ],
    entries: [tokens(0, 5), tokens(1, 7)],
  },
  {
    name: "appends a retried entry once (its first attempt got through)",
    steps: [begin("v1"), append("v1", 0, tokens(0, 5), true), append("v1", 0, tokens(0, 5), true)],
    entries: [tokens(0, 5)],
  },
  {
    name: "writes nothing after a hole",
    steps: [
      begin("v1"),
      append("v1", 0, tokens(0, 5), true),
      { call: (j, id) => j.append(id, tokens(3, 9), "v1", 2), throws: JournalGapError },
    ],
    entries: [tokens(0, 5)],
  },
  {
    name: "refuses an append to a session never begun",
    steps: [append("v1", 0, tokens(0, 5), false)],
    entries: null,
  },
  {
    name: "lets a resuming verifier begin again without losing the header or the entries",
    steps: [begin("v1"), append("v1", 0, tokens(0, 5), true), begin("v2"), append("v2", 1, tokens(1, 6), true)],
    entries: [tokens(0, 5), tokens(1, 6)],
  },
  {
    name: "journals an end of any kind after the tokens",
    steps: [
      begin("v1"),
      append("v1", 0, tokens(0, 5, 6), true),
      append(
        "v1",
        1,
        { index: 2, tokens: [], text: "", end: { finishReason: "cancelled", generatedTokens: 2, reason: "operator" } },
        true,
      ),
    ],
    entries: [
      tokens(0, 5, 6),
      { index: 2, tokens: [], text: "", end: { finishReason: "cancelled", generatedTokens: 2, reason: "operator" } },
    ],
  },
];

let redisServer: ServerHandle;
let redis: Redis;
const journals: Array<{ name: string; make: () => SessionJournal }> = [
  { name: "MemoryJournal", make: () => new MemoryJournal() },
  { name: "RedisJournal", make: () => new RedisJournal(redis, 600, `test-${randomUUID()}`) },
];

before(async () => {
  redisServer = await startRedis();
  redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
});

after(async () => {
  redis?.disconnect();
  await redisServer?.stop();
});

for (const { name, make } of journals) {
  describe(name, () => {
    for (const c of cases) {
      it(c.name, async () => {
        const journal = make();
        const sessionId = `s-${randomUUID()}`;
        for (const [i, step] of c.steps.entries()) {
          if (step.throws) {
            await assert.rejects(step.call(journal, sessionId), step.throws, `step ${i}`);
            continue;
          }
          const outcome = await step.call(journal, sessionId);
          if ("expect" in step) assert.equal(outcome, step.expect, `step ${i}`);
        }
        const record = await journal.read(sessionId);
        if (c.entries === null) {
          assert.equal(record, null);
          return;
        }
        assert.deepEqual(record?.header, header(sessionId));
        assert.deepEqual(record?.entries, c.entries);
      });
    }

    it("reads back the committed tokens and the end", async () => {
      const journal = make();
      await journal.begin(header("s-end"), "v1");
      await journal.append("s-end", tokens(0, 5, 6), "v1", 0);
      await journal.append(
        "s-end",
        { index: 2, tokens: [], text: "", end: { finishReason: "stop", generatedTokens: 2 } },
        "v1",
        1,
      );
      const record = (await journal.read("s-end"))!;
      assert.deepEqual(committedTokens(record), [5, 6]);
      assert.deepEqual(journalledEnd(record), { finishReason: "stop", generatedTokens: 2 });
    });
  });
}

describe("RedisJournal in Redis", () => {
  it("lets a finished session's keys expire, and keeps the others for a day", async () => {
    const prefix = `test-${randomUUID()}`;
    const journal = new RedisJournal(redis, 600, prefix);
    await journal.begin(header("s1"), "v1");
    await journal.append("s1", tokens(0, 5), "v1", 0);
    for (const key of ["header", "owner", "entries"]) assert.ok((await redis.ttl(`${prefix}:s1:${key}`)) > 600);
    await journal.finish("s1");
    for (const key of ["header", "owner", "entries"]) {
      const ttl = await redis.ttl(`${prefix}:s1:${key}`);
      assert.ok(ttl > 0 && ttl <= 600, `${key} expires within 600 s (ttl ${ttl})`);
    }
  });

  it("refuses to read a damaged record, by a typed error", async () => {
    const prefix = `test-${randomUUID()}`;
    const journal = new RedisJournal(redis, 600, prefix);
    await journal.begin(header("s1"), "v1");
    await redis.rpush(`${prefix}:s1:entries`, "{not json");
    await assert.rejects(journal.read("s1"), JournalCorruptError);
  });
});
