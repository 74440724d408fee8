import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { NatsConnection } from "nats";
import pino from "pino";
import {
  ADMIN_IDENTITY,
  BATCHED_EVENTS_MS,
  GREEDY_SAMPLING,
  SessionStream,
  VerifierOpen,
  VerifyRound,
  WorkerClose,
  type SessionEvent,
} from "#contracts";
import type { LocalFleet } from "#infra";
import { ContractBus } from "#transport";
import { connectToFleet } from "../support/fleet-nats.js";
import { MODEL_PATH, startTestFleet } from "../support/fleet.js";
import { referenceCompletions, type ReferenceCompletions } from "../support/reference.js";

const PROMPT = "Once upon a time";
const MAX_TOKENS = 32;

/**
 * The verifier's side of the round, driven by hand as a drafter would over real NATS:
 * acceptance, correction and bonus tokens, a duplicate round answered as stale and never
 * applied twice, windows sent ahead of the previous round's answer (taken when their guess
 * held, answered stale when not, or when ahead of the session), and a stream of each token
 * exactly once.
 */
describe("the round protocol at a real verifier", () => {
  let fleet: LocalFleet;
  let nc: NatsConnection;
  let bus: ContractBus;
  let reference: ReferenceCompletions;
  let expected: number[];

  before(async () => {
    reference = await referenceCompletions(MODEL_PATH, [PROMPT], MAX_TOKENS);
    expected = reference.get(PROMPT)!.tokens;
    fleet = await startTestFleet("round-protocol", { verifiers: 1, drafters: 0 });
    nc = await connectToFleet(fleet);
    // Speaking as the drafter the session names: a verifier takes rounds only from it (docs/security.md).
    bus = new ContractBus(nc, pino({ level: "silent" }), "hand-drafter");
  });

  after(async () => {
    await nc?.close();
    await fleet?.stop();
  });

  it("applies each position once and streams exactly the target's tokens", async () => {
    const sessionId = "protocol-1";
    const events: SessionEvent[] = [];
    bus.subscribe(SessionStream, sessionId, (event) => events.push(event));
    await nc.flush();
    const opened = await bus.request(
      VerifierOpen,
      "verifier-1",
      { sessionId, prompt: PROMPT, maxTokens: MAX_TOKENS, sampling: GREEDY_SAMPLING, drafterId: "hand-drafter" },
      5000,
    );
    assert.ok(opened.ok);
    const start = opened.position;
    const verify = (position: number, draft: number[]) =>
      bus.request(VerifyRound, "verifier-1", { sessionId, position, draft }, 5000);

    // Another identity's round for this session is refused and applies nothing.
    const impostor = new ContractBus(nc, pino({ level: "silent" }), "another-drafter");
    const forged = await impostor.request(
      VerifyRound,
      "verifier-1",
      { sessionId, position: start, draft: [1, 2] },
      5000,
    );
    assert.equal(forged.status === "rejected" && forged.error.code, "forbidden");

    // A window the target agrees with entirely: 4 accepted + the bonus token.
    const firstReply = await verify(start, expected.slice(0, 4));
    // Alone on the verifier, the first decode holds the prompt (not evaluated before) and the window.
    assert.equal(firstReply.status === "applied" && firstReply.batchTokens, opened.promptTokens.length + 4);
    const first = withoutTiming(firstReply);
    assert.deepEqual(first, {
      status: "applied",
      sessionId,
      position: start,
      accepted: 4,
      tokens: expected.slice(0, 5),
      nextPosition: start + 5,
      finished: false,
    });

    // The same round again (a retry after a lost reply): stale, answered with what was committed.
    const again = await verify(start, expected.slice(0, 4));
    assert.deepEqual(again, {
      status: "stale",
      sessionId,
      position: start,
      tokens: expected.slice(0, 5),
      nextPosition: start + 5,
      finished: false,
    });

    // A window wrong at its second token: 1 accepted + the correction.
    const wrong = (expected[6]! + 1) % 512;
    const second = await verify(start + 5, [expected[5]!, wrong, wrong, wrong]);
    assert.equal(second.status, "applied");
    assert.deepEqual(second.status === "applied" && [second.accepted, second.tokens, second.nextPosition], [
      1,
      expected.slice(5, 7),
      start + 7,
    ]);

    // A window sent ahead on a guess that failed (the previous round was not accepted whole): stale, nothing applied.
    assert.deepEqual(await verify(start + 100, [1]), {
      status: "stale",
      sessionId,
      position: start + 100,
      tokens: [],
      nextPosition: start + 7,
      finished: false,
    });
    // Sent ahead, guessing the previous round's last token wrong: stale, answered with what was committed.
    assert.deepEqual(await verify(start + 6, [wrong, expected[7]!]), {
      status: "stale",
      sessionId,
      position: start + 6,
      tokens: [expected[6]!],
      nextPosition: start + 7,
      finished: false,
    });
    // Sent ahead, guessing it right: the repeated token is skipped, the rest verified at the session's position.
    const guessed = withoutTiming(await verify(start + 6, expected.slice(6, 9)));
    assert.deepEqual(guessed, {
      status: "applied",
      sessionId,
      position: start + 7,
      accepted: 2,
      tokens: expected.slice(7, 10),
      nextPosition: start + 10,
      finished: false,
    });

    // γ = 0 is a legal window: the target's next token alone.
    const alone = await verify(start + 10, []);
    assert.equal(alone.status === "applied" && alone.tokens[0], expected[10]);

    // Finish with correct windows (the verifier trims a window that would overshoot max_tokens).
    let position = start + 11;
    for (;;) {
      const generated = position - start;
      const reply = await verify(position, expected.slice(generated, generated + 4));
      assert.equal(reply.status, "applied");
      if (reply.status !== "applied") break;
      position = reply.nextPosition;
      if (reply.finished) break;
    }
    const afterEnd = await verify(position, []);
    assert.equal(afterEnd.status, "rejected", "a finished session takes no more rounds");

    await nc.flush();
    await new Promise((r) => setTimeout(r, 100));
    const streamed = events.flatMap((e) => (e.kind === "tokens" ? e.tokens : []));
    assert.deepEqual(
      streamed,
      (await reference.for(PROMPT, streamed)).tokens,
      "each committed token streamed exactly once, in order",
    );
    const indexes = events.flatMap((e) => (e.kind === "tokens" ? [e.index] : []));
    assert.deepEqual(
      indexes,
      [...indexes].sort((a, b) => a - b),
    );
    assert.equal(events.at(-1)?.kind, "end");
  });
});

describe("a batched session's tokens events at a real verifier", () => {
  let fleet: LocalFleet;
  let nc: NatsConnection;
  let bus: ContractBus;
  let expected: number[];

  before(async () => {
    expected = (await referenceCompletions(MODEL_PATH, [PROMPT], MAX_TOKENS)).get(PROMPT)!.tokens;
    fleet = await startTestFleet("round-protocol-batched", { verifiers: 1, drafters: 0 });
    nc = await connectToFleet(fleet);
    bus = new ContractBus(nc, pino({ level: "silent" }), "hand-drafter");
  });

  after(async () => {
    await nc?.close();
    await fleet?.stop();
  });

  it("sends the first round's tokens at once, gathers later rounds', and sends what it holds before the end", async () => {
    const sessionId = "protocol-batched";
    const events: SessionEvent[] = [];
    let arrived: (() => void) | null = null;
    bus.subscribe(SessionStream, sessionId, (event) => {
      events.push(event);
      arrived?.();
    });
    await nc.flush();
    const opened = await bus.request(
      VerifierOpen,
      "verifier-1",
      {
        sessionId,
        prompt: PROMPT,
        maxTokens: MAX_TOKENS,
        sampling: GREEDY_SAMPLING,
        drafterId: "hand-drafter",
        tokenEvents: "batched",
      },
      5000,
    );
    assert.ok(opened.ok);
    const tokenEvents = () => events.filter((e) => e.kind === "tokens");
    const streamed = () => tokenEvents().flatMap((e) => e.tokens);
    const until = (what: string, holds: () => boolean) =>
      new Promise<void>((resolve, reject) => {
        if (holds()) return resolve();
        const timer = setTimeout(() => reject(new Error(`not within 5 s: ${what}; ${JSON.stringify(events)}`)), 5000);
        arrived = () => {
          if (!holds()) return;
          clearTimeout(timer);
          resolve();
        };
      });
    let generated = 0;
    const round = async () => {
      const reply = await bus.request(
        VerifyRound,
        "verifier-1",
        { sessionId, position: opened.position + generated, draft: expected.slice(generated, generated + 2) },
        5000,
      );
      assert.equal(reply.status, "applied");
      if (reply.status === "applied") generated += reply.tokens.length;
    };
    await until("opened", () => events.length === 1);

    // The first round's tokens go at once (the gateway's time to first token stays true).
    const sent = performance.now();
    await round();
    await until("the first round's tokens", () => tokenEvents().length === 1);
    assert.deepEqual(
      tokenEvents().map((e) => [e.index, e.tokens]),
      [[0, expected.slice(0, 3)]],
    );

    // Two more rounds right after it are held (when, as on any machine but a stalled one, they
    // come within BATCHED_EVENTS_MS of it).
    await round();
    await round();
    const quick = performance.now() - sent < BATCHED_EVENTS_MS;
    await nc.flush();
    await new Promise((r) => setTimeout(r, 50));
    if (quick) assert.equal(tokenEvents().length, 1, "two rounds within the interval: held");

    // A round once the interval has passed sends everything held, in one event.
    await new Promise((r) => setTimeout(r, BATCHED_EVENTS_MS + 50));
    await round();
    await until("every committed token", () => streamed().length === generated);
    if (quick)
      assert.deepEqual(
        tokenEvents()
          .map((e) => [e.index, e.tokens])
          .at(-1),
        [3, expected.slice(3, 12)],
      );

    // A round held, then the session closed: its tokens go before the end, which counts them.
    await round();
    const admin = new ContractBus(nc, pino({ level: "silent" }), ADMIN_IDENTITY);
    assert.deepEqual(await admin.request(WorkerClose, "verifier-1", { sessionId, reason: "test" }, 5000), {
      closed: true,
    });
    await nc.flush();
    await new Promise((r) => setTimeout(r, 100));
    const end = events.at(-1);
    assert.equal(end?.kind, "end");
    assert.deepEqual(end?.kind === "end" && [end.finishReason, end.generatedTokens], ["cancelled", generated]);
    assert.deepEqual(streamed(), expected.slice(0, generated), "every committed token once, in order, before the end");
    assert.deepEqual(
      tokenEvents().map((e) => e.index),
      tokenEvents().map((_, i, all) => all.slice(0, i).reduce((n, e) => n + e.tokens.length, 0)),
      "each event starts where the one before it ended",
    );
  });
});

describe("a sampled session's rounds at a real verifier", () => {
  let fleet: LocalFleet;
  let nc: NatsConnection;
  let bus: ContractBus;

  before(async () => {
    fleet = await startTestFleet("round-protocol-sampled", { verifiers: 1, drafters: 0 });
    nc = await connectToFleet(fleet);
    // Speaking as the drafter the session names: a verifier takes rounds only from it (docs/security.md).
    bus = new ContractBus(nc, pino({ level: "silent" }), "hand-drafter");
  });

  after(async () => {
    await nc?.close();
    await fleet?.stop();
  });

  it("refuses a draft without q, or with q that does not cover it, and then takes a good one", async () => {
    const sessionId = "protocol-sampled";
    const sampling = { temperature: 1, topK: 0, topP: 1, seed: 3, seeded: true };
    const opened = await bus.request(
      VerifierOpen,
      "verifier-1",
      { sessionId, prompt: PROMPT, maxTokens: 16, sampling, drafterId: "hand-drafter" },
      5000,
    );
    assert.ok(opened.ok);
    const verify = (draft: number[], q?: Array<{ tokens: number[]; probs: number[] }>) =>
      bus.request(VerifyRound, "verifier-1", { sessionId, position: opened.position, draft, q }, 5000);

    const missing = await verify([10, 11]);
    assert.equal(missing.status, "rejected");
    assert.match(missing.status === "rejected" ? missing.error.message : "", /needs the drafter's distribution q/);

    const uncovered = await verify([10], [{ tokens: [12, 13], probs: [0.5, 0.5] }]);
    assert.match(uncovered.status === "rejected" ? uncovered.error.message : "", /no probability in the q/);

    const outside = await verify([10], [{ tokens: [10, 99999], probs: [0.5, 0.5] }]);
    assert.match(outside.status === "rejected" ? outside.error.message : "", /outside the vocabulary/);

    // A drafter certain of token 10: the verifier accepts it with probability p(10) and always commits 2 tokens or 1.
    const good = await verify([10], [{ tokens: [10], probs: [1] }]);
    assert.equal(good.status, "applied");
    assert.ok(good.status === "applied" && good.tokens.length === good.accepted + 1);
  });
});

/** A round's reply minus the verifier's timing, which varies, and its batch size. */
function withoutTiming<T extends { status: string }>(reply: T): Omit<T, "verifyMs" | "batchTokens"> {
  if (reply.status !== "applied") return reply;
  const { verifyMs, batchTokens, ...rest } = reply as T & { verifyMs: number; batchTokens: number };
  assert.ok(verifyMs >= 0);
  assert.ok(Number.isInteger(batchTokens) && batchTokens > 0);
  return rest;
}
