import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SessionEvent } from "#contracts";
import { SessionReader, SessionReaderClosedError } from "../src/completions/session-reader.js";

const sessionId = "cmpl-test";
const opened: SessionEvent = { kind: "opened", sessionId, promptTokens: 3, verifierId: "v1", drafterId: "d1" };
const tokens = (index: number, count: number): SessionEvent => ({
  kind: "tokens",
  sessionId,
  index,
  tokens: Array.from({ length: count }, (_, i) => 100 + index + i),
  text: `<${index}>`,
});
const end = (generatedTokens: number, finishReason: "stop" | "cancelled" = "stop"): SessionEvent => ({
  kind: "end",
  sessionId,
  finishReason,
  generatedTokens,
  text: "",
});

/** What a reader hands out, one word per event: `opened`, `t<index>`, `end:<reason>`, `error`. */
function label(event: SessionEvent): string {
  if (event.kind === "tokens") return `t${event.index}`;
  if (event.kind === "end") return `end:${event.finishReason}`;
  return event.kind;
}

/** The sender of an event in these tables: the scheduler for its own kinds, else the owner v1. */
const senderOf = (event: SessionEvent) => (event.kind === "error" || event.kind === "owner" ? "scheduler" : "v1");
const owner = (verifierId: string): SessionEvent => ({ kind: "owner", sessionId, verifierId });

/** A reader the scheduler has told that v1 owns the session (that `owner` event already read). */
async function ownedReader(unsubscribe?: () => void): Promise<SessionReader> {
  const reader = new SessionReader(sessionId, unsubscribe);
  reader.accept(owner("v1"), "scheduler");
  assert.equal((await reader.next(0))?.kind, "owner");
  return reader;
}

async function drain(reader: SessionReader): Promise<string[]> {
  const read: string[] = [];
  for (let event = await reader.next(0); event; event = await reader.next(0)) read.push(label(event));
  return read;
}

describe("SessionReader ordering", () => {
  const cases: Array<{ name: string; arrive: SessionEvent[]; read: string[]; position: number }> = [
    {
      name: "in order",
      arrive: [opened, tokens(0, 2), tokens(2, 3), end(5)],
      read: ["opened", "t0", "t2", "end:stop"],
      position: 5,
    },
    {
      name: "out of order: each token event waits for the ones before it",
      arrive: [opened, tokens(2, 3), tokens(0, 2), tokens(5, 1)],
      read: ["opened", "t0", "t2", "t5"],
      position: 6,
    },
    {
      name: "duplicates (a replay of what arrived) are dropped",
      arrive: [tokens(0, 2), tokens(0, 2), tokens(2, 1), tokens(0, 2), tokens(2, 1)],
      read: ["t0", "t2"],
      position: 3,
    },
    {
      name: "a gap holds everything after it until a replay fills it",
      arrive: [tokens(0, 1), tokens(3, 1), tokens(4, 1), end(5)],
      read: ["t0"],
      position: 1,
    },
    {
      name: "the gap filled, the held events follow in order",
      arrive: [tokens(0, 1), tokens(3, 1), end(4), tokens(1, 2)],
      read: ["t0", "t1", "t3", "end:stop"],
      position: 4,
    },
    {
      name: "an end that overtook its tokens waits for them",
      arrive: [end(3), tokens(0, 1), tokens(1, 2)],
      read: ["t0", "t1", "end:stop"],
      position: 3,
    },
    {
      name: "a cancelled end comes after the tokens published before it",
      arrive: [tokens(0, 2), end(2, "cancelled")],
      read: ["t0", "end:cancelled"],
      position: 2,
    },
    {
      name: "an end is handed out once, however often it is replayed",
      arrive: [tokens(0, 1), end(1), end(1)],
      read: ["t0", "end:stop"],
      position: 1,
    },
    {
      name: "an error needs no order: it comes at once",
      arrive: [tokens(1, 1), { kind: "error", sessionId, error: { code: "internal", message: "x" } }],
      read: ["error"],
      position: 0,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const reader = await ownedReader();
      for (const event of c.arrive) reader.accept(event, senderOf(event));
      assert.deepEqual(await drain(reader), c.read);
      assert.equal(reader.position, c.position);
    });
  }
});

describe("SessionReader waiting", () => {
  it("returns null when nothing came within the idle time", async () => {
    const reader = new SessionReader(sessionId);
    const started = Date.now();
    assert.equal(await reader.next(30), null);
    assert.ok(Date.now() - started >= 25);
  });

  it("wakes a waiting next() when the event it waits for arrives", async () => {
    const reader = await ownedReader();
    const waiting = reader.next(5000);
    setTimeout(() => reader.accept(tokens(0, 1), "v1"), 10);
    assert.equal(label((await waiting)!), "t0");
  });
});

describe("SessionReader after close", () => {
  it("rejects a next() already waiting, at once, instead of reporting an idle stream", async () => {
    let unsubscribed = 0;
    const reader = new SessionReader(sessionId, () => unsubscribed++);
    const waiting = reader.next(60_000);
    const started = Date.now();
    reader.close();
    await assert.rejects(waiting, SessionReaderClosedError);
    assert.ok(Date.now() - started < 30_000, "no wait for the idle time (60 s)");
    assert.equal(unsubscribed, 1);
  });

  it("rejects every later next(), so a caller's stall-and-replay loop cannot spin", async () => {
    const reader = await ownedReader();
    reader.accept(tokens(0, 1), "v1");
    reader.close();
    reader.close();
    for (let i = 0; i < 3; i++) await assert.rejects(reader.next(1000), SessionReaderClosedError);
    assert.equal(reader.isClosed, true);
  });

  it("ignores events that arrive after close", async () => {
    const reader = await ownedReader();
    reader.close();
    reader.accept(tokens(0, 1), "v1");
    assert.equal(reader.position, 0);
    await assert.rejects(reader.next(0), SessionReaderClosedError);
  });
});

describe("SessionReader ownership", () => {
  it("takes a session's events only from the verifier the scheduler named", async () => {
    const reader = await ownedReader();
    reader.accept(tokens(0, 1), "forger");
    reader.accept(end(1), "forger");
    reader.accept({ ...opened, verifierId: "forger" }, "forger");
    assert.deepEqual(await drain(reader), []);
    reader.accept(tokens(0, 1), "v1");
    reader.accept(end(1), "v1");
    assert.deepEqual(await drain(reader), ["t0", "end:stop"]);
    assert.equal(reader.position, 1);
  });

  it("takes owner and error events from the scheduler only", async () => {
    const reader = await ownedReader();
    reader.accept(owner("forger"), "v1");
    reader.accept({ kind: "error", sessionId, error: { code: "internal", message: "forged" } }, "v1");
    reader.accept({ ...opened, verifierId: "v2" }, "v1");
    assert.equal(reader.refused, 3);
    assert.equal(reader.ownerId, "v1");
    assert.deepEqual(await drain(reader), []);
  });

  it("holds a verifier's events until the scheduler names it (messages from two senders may cross)", async () => {
    const reader = await ownedReader();
    reader.accept(tokens(0, 2), "v1");
    reader.accept({ ...opened, verifierId: "v2" }, "v2");
    reader.accept(tokens(2, 1), "v2");
    assert.deepEqual(await drain(reader), ["t0"]);
    reader.accept(owner("v2"), "scheduler");
    assert.deepEqual(await drain(reader), ["owner", "opened", "t2"]);
    reader.accept(tokens(3, 1), "v1");
    assert.deepEqual(await drain(reader), [], "the old owner is no longer heard");
    assert.equal(reader.position, 3);
  });

  it("tells of the first refused event only (one log line per session, not per forged event)", () => {
    const told: string[] = [];
    const reader = new SessionReader(sessionId, undefined, (from, kind) => told.push(`${from}:${kind}`));
    reader.accept(owner("v1"), "scheduler");
    reader.accept(owner("forger"), "v2");
    reader.accept({ kind: "error", sessionId, error: { code: "internal", message: "forged" } }, "v2");
    assert.deepEqual(told, ["v2:owner"]);
    assert.equal(reader.refused, 2);
  });

  it("drops what a never-named sender floods it with beyond a bound", async () => {
    const reader = await ownedReader();
    for (let i = 0; i < 1000; i++) reader.accept(tokens(i, 1), "forger");
    assert.ok(reader.refused >= 1000 - 256);
    assert.deepEqual(await drain(reader), []);
  });
});
