import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Subscription } from "nats";
import { Redis } from "ioredis";
import { ANY_ID, SessionReplay, SessionStream, WorkerClose, type SessionEvent } from "#contracts";
import { committedTokens, RedisJournal } from "#journal";
import { complete, streamCompletion, type CompletionResult } from "../support/openai-client.js";
import { MODEL, PROMPTS } from "../support/fleet.js";
import { startProxiedFleet, type ProxiedFleet } from "../support/proxied-fleet.js";

const VERIFIER = "verifier-1";
/** Long enough that a session is still running when the test strikes it after its first tokens. */
const MAX_TOKENS = 400;
/** "At once": well under the gateway's replay interval (2 s) and its idle timeout (60 s). */
const AT_ONCE_MS = 1500;

/**
 * Every way a session ends reaches its client at once, and only the scheduler cancels: a session
 * closed from outside its client (scheduler, operator) ends the response with an error naming why;
 * a client that leaves has its session cancelled by the scheduler alone, without a replay storm or
 * a false 504; a verifier whose journal goes away publishes nothing the journal lacks.
 */
describe("how a session ends", () => {
  let harness: ProxiedFleet;
  const events = new Map<string, SessionEvent[]>();
  const closes: string[] = [];
  const replays: string[] = [];
  const observers: Subscription[] = [];

  before(async () => {
    harness = await startProxiedFleet("session-end", {
      verifiers: [VERIFIER],
      drafters: ["drafter-1"],
      maxSessions: 4,
      window: 4,
    });
    const { bus } = harness;
    bus.subscribe(SessionStream, ANY_ID, (event) =>
      events.set(event.sessionId, [...(events.get(event.sessionId) ?? []), event]),
    );
    // Who asks the verifier to close or replay a session: copies of the requests it serves.
    const record = (into: string[]) => (_: unknown, msg: { data: Uint8Array }) =>
      into.push((JSON.parse(new TextDecoder().decode(msg.data)) as { sessionId: string }).sessionId);
    observers.push(bus.nc.subscribe(`specfleet.worker.${VERIFIER}.close.*`, { callback: record(closes) }));
    observers.push(bus.nc.subscribe(`specfleet.verifier.${VERIFIER}.replay`, { callback: record(replays) }));
    await bus.nc.flush();
  });

  after(async () => {
    for (const observer of observers) observer.unsubscribe();
    await harness?.stop();
  });

  const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const known = () => new Set(events.keys());
  /** The first session not in `before` that has published tokens (polls the observed events). */
  async function runningSession(before: Set<string>): Promise<string> {
    for (let waited = 0; waited < 20_000; waited += 5) {
      const id = [...events.keys()].find(
        (key) => !before.has(key) && events.get(key)!.some((e) => e.kind === "tokens"),
      );
      if (id) return id;
      await settle(5);
    }
    throw new Error("no session started");
  }
  /** A promise's outcome as a value: its error, or null. */
  const settled = (promise: Promise<unknown>) =>
    promise.then(
      () => null,
      (err: Error) => err,
    );
  /** A stream that ended with OpenAI's error object, with this code and a message saying this. */
  const assertErrorSaying = (err: Error | null, code: string, words: string) => {
    assert.ok(err, "the stream ended with an error");
    assert.ok(err.message.includes(`"code":"${code}"`), err.message);
    assert.ok(err.message.includes(words), err.message);
  };
  /**
   * The session's end as this test's own subscription heard it. That copy travels on another
   * connection than the gateway's, so it may come a moment after the client's answer: wait for it.
   */
  async function endOf(sessionId: string): Promise<SessionEvent | undefined> {
    for (let waited = 0; waited < 5000; waited += 5) {
      const end = events.get(sessionId)?.find((e) => e.kind === "end");
      if (end) return end;
      await settle(5);
    }
    return undefined;
  }

  it("a streamed session closed by an operator ends its response at once, with the reason", async () => {
    const before = known();
    const seen: { result?: CompletionResult } = {};
    // Settled into a value at once: the stream may end before the close's reply is back.
    const streamed = settled(
      streamCompletion(
        harness.fleet.gatewayUrl,
        { model: MODEL, prompt: PROMPTS[0], max_tokens: MAX_TOKENS },
        (result) => (seen.result = result),
      ),
    );
    const sessionId = await runningSession(before);
    const reply = await harness.bus.request(
      WorkerClose,
      VERIFIER,
      { sessionId, reason: "operator: maintenance" },
      5000,
    );
    const closedAt = performance.now();
    assert.equal(reply.closed, true);
    assertErrorSaying(await streamed, "session_cancelled", "operator: maintenance");
    assert.ok(performance.now() - closedAt < AT_ONCE_MS, `ended ${Math.round(performance.now() - closedAt)} ms after`);
    const end = await endOf(sessionId);
    assert.ok(end?.kind === "end" && end.finishReason === "cancelled", "the verifier published a cancelled end");
    assert.equal(
      end.generatedTokens,
      seen.result?.tokenIds.length ?? 0,
      "every token sent before the end reached the client",
    );
  });

  it("a whole (non-streamed) session closed from outside answers at once, and a replay sends the end again", async () => {
    const before = known();
    const whole = complete(harness.fleet.gatewayUrl, { model: MODEL, prompt: PROMPTS[1], max_tokens: MAX_TOKENS });
    const sessionId = await runningSession(before);
    await harness.bus.request(WorkerClose, VERIFIER, { sessionId, reason: "scheduler decision" }, 5000);
    const closedAt = performance.now();
    const result = await whole;
    assert.ok(
      performance.now() - closedAt < AT_ONCE_MS,
      `answered ${Math.round(performance.now() - closedAt)} ms after`,
    );
    assert.equal(result.status, 503, JSON.stringify(result.body));
    const error = (result.body as { error: { code: string; message: string } }).error;
    assert.equal(error.code, "session_cancelled");
    assert.match(error.message, /scheduler decision/);
    // Journalled like the tokens: a gateway that missed the end gets it from a replay.
    const ends = () => events.get(sessionId)!.filter((e) => e.kind === "end").length;
    const endsBefore = ends();
    const replayed = await harness.bus.request(SessionReplay, VERIFIER, { sessionId, fromIndex: 0 }, 5000);
    assert.ok(replayed.replayed >= 2, "the tokens and the end");
    await settle(200);
    assert.equal(ends(), endsBefore + 1, "the end was replayed from the journal");
  });

  for (const stream of [true, false]) {
    it(`a client that leaves (${stream ? "streamed" : "whole"}): the scheduler alone cancels, no replay storm, no 504`, async () => {
      const before = known();
      const gone = new AbortController();
      const request = fetch(`${harness.fleet.gatewayUrl}/v1/completions`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ model: MODEL, prompt: PROMPTS[2], max_tokens: MAX_TOKENS, temperature: 0, stream }),
        signal: gone.signal,
      }).then((response) => response.text());
      const sessionId = await runningSession(before);
      gone.abort();
      await assert.rejects(request);
      // Longer than the gateway's replay interval: a stall loop would have asked for replays by now.
      await settle(3000);
      assert.equal(closes.filter((id) => id === sessionId).length, 1, "one WorkerClose, the scheduler's");
      assert.equal(replays.filter((id) => id === sessionId).length, 0, "no replay asked for a client that left");
      const end = await endOf(sessionId);
      assert.ok(end?.kind === "end" && end.finishReason === "cancelled", "the session ended, cancelled");
      const gateway = harness.fleet.processes.get("gateway")!.recentLines(400).join("\n");
      assert.doesNotMatch(gateway, /"status":504/, "no false timeout logged");
    });
  }

  // Last: it takes redis-server away from the whole fleet.
  it("a verifier whose journal goes away publishes nothing the journal lacks, and ends the session with an error", async () => {
    const before = known();
    const seen: { result?: CompletionResult } = {};
    const streamed = settled(
      streamCompletion(
        harness.fleet.gatewayUrl,
        { model: MODEL, prompt: PROMPTS[3], max_tokens: MAX_TOKENS },
        (result) => (seen.result = result),
      ),
    );
    const sessionId = await runningSession(before);
    harness.redis.kill("SIGKILL");
    await harness.redis.exited;
    assertErrorSaying(await streamed, "session_failed", "journal is unavailable");
    const end = await endOf(sessionId);
    assert.ok(end?.kind === "end" && end.finishReason === "error");
    await harness.restartRedis();
    // As the operator's Redis user: the fleet's Redis has a user per role and no open default.
    const { username, password } = harness.secrets.redisAcl().ready!;
    const redis = new Redis(harness.redis.url, { maxRetriesPerRequest: 1, username, password });
    try {
      const record = await new RedisJournal(redis).read(sessionId);
      assert.ok(record, "the journal survived on redis-server's append-only file");
      const received = seen.result?.tokenIds ?? [];
      assert.ok(received.length < MAX_TOKENS, "the session did not run to its end");
      const byIndex = new Map(events.get(sessionId)!.flatMap((e) => (e.kind === "tokens" ? [[e.index, e]] : [])));
      const published = [...byIndex.values()].sort((a, b) => a.index - b.index).flatMap((e) => e.tokens);
      assert.deepEqual(received, published, "the client got every token published, then the error");
      // The journal may hold one entry more (acknowledged by redis-server as it died), never fewer.
      const journalled = committedTokens(record);
      assert.deepEqual(
        journalled.slice(0, published.length),
        published,
        "nothing was published that the journal lacks",
      );
    } finally {
      redis.disconnect();
    }
  });
});
