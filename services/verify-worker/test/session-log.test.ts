import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GREEDY_SAMPLING, type SessionEvent } from "#contracts";
import { MemoryJournal, type JournalEntry, type SessionHeader, type SessionJournal } from "#journal";
import { createLogger } from "#logging";
import {
  JournalUnavailableError,
  SessionLog,
  type JournalPatience,
  type SessionEventSink,
} from "../src/session-log.js";

const log = createLogger("session-log-test", "silent");
const header: SessionHeader = {
  sessionId: "s1",
  model: "m",
  promptTokens: [1, 2],
  maxTokens: 8,
  sampling: GREEDY_SAMPLING,
  openedAt: 0,
};
const entry = (index: number, ...tokens: number[]): JournalEntry => ({ index, tokens, text: tokens.join(",") });
const quick: JournalPatience = { totalMs: 200, firstBackoffMs: 5, maxBackoffMs: 20 };

/** Records what a SessionLog publishes. */
class Recorder implements SessionEventSink {
  readonly events: SessionEvent[] = [];
  publish(_sessionId: string, event: SessionEvent): void {
    this.events.push(event);
  }
  get indexes(): number[] {
    return this.events.flatMap((e) => (e.kind === "tokens" ? [e.index] : []));
  }
}

/**
 * A journal whose appends fail: `failures` times (then it works again), and, when `landing`, the
 * failed append got through anyway (the reply was lost with the connection, not the write).
 */
class FailingJournal extends MemoryJournal {
  appendCalls = 0;
  constructor(
    private failures: number,
    private readonly landing = false,
  ) {
    super();
  }
  override async append(sessionId: string, e: JournalEntry, owner: string, at: number): Promise<boolean> {
    this.appendCalls++;
    if (this.failures <= 0) return super.append(sessionId, e, owner, at);
    this.failures--;
    if (this.landing) await super.append(sessionId, e, owner, at);
    throw new Error("ECONNRESET");
  }
}

async function begun(journal: SessionJournal, owner = "v1", patience = quick) {
  const events = new Recorder();
  const stream = new SessionLog(journal, events, log, owner, patience);
  await stream.begin(header);
  return { stream, events };
}

describe("SessionLog: journalled before published", () => {
  it("publishes an entry only once the journal has it", async () => {
    const journal = new MemoryJournal();
    const { stream, events } = await begun(journal);
    assert.equal(await stream.write("s1", entry(0, 5, 6), 0), true);
    assert.deepEqual((await journal.read("s1"))!.entries, [entry(0, 5, 6)]);
    assert.deepEqual(events.events, [{ kind: "tokens", sessionId: "s1", index: 0, tokens: [5, 6], text: "5,6" }]);
  });

  it("publishes nothing when the journal stays away, and says so by a typed error", async () => {
    const journal = new FailingJournal(Number.POSITIVE_INFINITY);
    const { stream, events } = await begun(journal);
    const started = Date.now();
    await assert.rejects(stream.write("s1", entry(0, 5), 0), JournalUnavailableError);
    assert.ok(Date.now() - started >= quick.totalMs - 10, "retried for its whole patience");
    assert.ok(journal.appendCalls > 2, "retried with backoff");
    assert.deepEqual(events.events, []);
    assert.deepEqual((await journal.read("s1"))!.entries, []);
  });

  it("waits out a short outage: the entry is journalled once and published once", async () => {
    const journal = new FailingJournal(3);
    const { stream, events } = await begun(journal);
    assert.equal(await stream.write("s1", entry(0, 5), 0), true);
    assert.deepEqual((await journal.read("s1"))!.entries, [entry(0, 5)]);
    assert.deepEqual(events.indexes, [0]);
  });

  it("does not journal an entry twice when a failed attempt had got through", async () => {
    const journal = new FailingJournal(1, true);
    const { stream, events } = await begun(journal);
    assert.equal(await stream.write("s1", entry(0, 5), 0), true);
    assert.equal(await stream.write("s1", entry(1, 6), 1), true);
    assert.deepEqual((await journal.read("s1"))!.entries, [entry(0, 5), entry(1, 6)]);
    assert.deepEqual(events.indexes, [0, 1]);
  });

  it("fails at once, without retrying, on a hole in the journal", async () => {
    const journal = new MemoryJournal();
    const { stream, events } = await begun(journal, "v1", { ...quick, totalMs: 60_000 });
    await assert.rejects(stream.write("s1", entry(3, 5), 2), /holds 0 entries/);
    assert.deepEqual(events.events, []);
  });
});

describe("SessionLog: fencing", () => {
  it("stops a verifier that lost the session: nothing written, nothing published, false", async () => {
    const journal = new MemoryJournal();
    const first = await begun(journal, "v1");
    assert.equal(await first.stream.write("s1", entry(0, 5), 0), true);
    // v1 is cut off; the scheduler resumes the session on v2, which claims it.
    const second = new Recorder();
    const taker = new SessionLog(journal, second, log, "v2", quick);
    await taker.claim("s1");
    assert.equal(await first.stream.write("s1", entry(1, 6), 1), false, "v1 learns it lost the session");
    assert.equal(await taker.write("s1", entry(1, 7), 1), true);
    assert.deepEqual(first.events.indexes, [0]);
    assert.deepEqual(second.indexes, [1]);
    assert.deepEqual((await journal.read("s1"))!.entries, [entry(0, 5), entry(1, 7)]);
  });

  it("fences the end too: a cut-off verifier cannot end a session another one runs", async () => {
    const journal = new MemoryJournal();
    const first = await begun(journal, "v1");
    await new SessionLog(journal, new Recorder(), log, "v2", quick).claim("s1");
    const end: JournalEntry = {
      index: 0,
      tokens: [],
      text: "",
      end: { finishReason: "cancelled", generatedTokens: 0 },
    };
    assert.equal(await first.stream.write("s1", end, 0), false);
    assert.deepEqual(first.events.events, []);
  });
});

describe("SessionLog: events", () => {
  it("publishes every kind of end as an end event, with its reason", async () => {
    const { stream, events } = await begun(new MemoryJournal());
    stream.publish("s1", { index: 2, tokens: [], text: "!", end: { finishReason: "stop", generatedTokens: 2 } });
    stream.publish("s1", {
      index: 2,
      tokens: [],
      text: "",
      end: { finishReason: "cancelled", generatedTokens: 2, reason: "operator" },
    });
    assert.deepEqual(events.events, [
      { kind: "end", sessionId: "s1", finishReason: "stop", generatedTokens: 2, text: "!" },
      { kind: "end", sessionId: "s1", finishReason: "cancelled", generatedTokens: 2, text: "", reason: "operator" },
    ]);
  });

  it("replays the journalled events from an index on, the end included", async () => {
    const { stream, events } = await begun(new MemoryJournal());
    await stream.write("s1", entry(0, 5, 6), 0);
    await stream.write("s1", entry(2, 7), 1);
    await stream.write("s1", { index: 3, tokens: [], text: "", end: { finishReason: "error", generatedTokens: 3 } }, 2);
    events.events.length = 0;
    assert.equal(await stream.replay("s1", 2), 2);
    assert.deepEqual(
      events.events.map((e) => e.kind),
      ["tokens", "end"],
    );
  });
});
