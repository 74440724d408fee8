import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  BINARY_TAG,
  decodePayload,
  encodePayload,
  SessionStream,
  VerifyRound,
  type PayloadOf,
  type ReplyOf,
} from "#contracts";

type Round = PayloadOf<typeof VerifyRound>;
type Reply = ReplyOf<typeof VerifyRound>;
type Event = PayloadOf<typeof SessionStream>;

const roundTrip = {
  request: (value: Round) =>
    decodePayload(VerifyRound.codec, VerifyRound.schema, encodePayload(VerifyRound.codec, value)),
  reply: (value: Reply) =>
    decodePayload(VerifyRound.replyCodec, VerifyRound.reply, encodePayload(VerifyRound.replyCodec, value)),
  event: (value: Event) =>
    decodePayload(SessionStream.codec, SessionStream.schema, encodePayload(SessionStream.codec, value)),
};
const isBinary = (bytes: Uint8Array) => bytes[0] === BINARY_TAG;

describe("the round's binary forms (VerifyRound v4, SessionStream v4)", () => {
  const cases: { name: string; kind: keyof typeof roundTrip; value: Round | Reply | Event; binary: boolean }[] = [
    {
      name: "a greedy round",
      kind: "request",
      value: { sessionId: "s-1_A", position: 17, draft: [5, 0, 511, 4_000_000_000] },
      binary: true,
    },
    { name: "γ = 0", kind: "request", value: { sessionId: "s", position: 0, draft: [] }, binary: true },
    {
      name: "a sampled round (q): JSON",
      kind: "request",
      value: { sessionId: "s", position: 3, draft: [7], q: [{ tokens: [7, 8], probs: [0.25, 0.75] }] },
      binary: false,
    },
    {
      name: "an applied reply",
      kind: "reply",
      value: {
        status: "applied",
        sessionId: "s",
        position: 9,
        accepted: 2,
        tokens: [1, 2, 3],
        nextPosition: 12,
        finished: false,
        verifyMs: 3.25,
        batchTokens: 5,
      },
      binary: true,
    },
    {
      name: "an applied reply without batchTokens",
      kind: "reply",
      value: {
        status: "applied",
        sessionId: "s",
        position: 9,
        accepted: 0,
        tokens: [4],
        nextPosition: 10,
        finished: true,
        verifyMs: 0,
      },
      binary: true,
    },
    {
      name: "a stale reply",
      kind: "reply",
      value: { status: "stale", sessionId: "s", position: 4, tokens: [1, 2], nextPosition: 6, finished: false },
      binary: true,
    },
    {
      name: "a rejection: JSON",
      kind: "reply",
      value: { status: "rejected", sessionId: "s", error: { code: "session_lost", message: "gone" } },
      binary: false,
    },
    {
      name: "a tokens event with text ends",
      kind: "event",
      value: { kind: "tokens", sessionId: "s", index: 5, tokens: [10, 11], text: "héllo 🌍", textEnds: [3, 8] },
      binary: true,
    },
    {
      name: "a tokens event without text ends",
      kind: "event",
      value: { kind: "tokens", sessionId: "s", index: 0, tokens: [1], text: "" },
      binary: true,
    },
    {
      name: "an end event: JSON",
      kind: "event",
      value: { kind: "end", sessionId: "s", finishReason: "stop", generatedTokens: 3, text: "" },
      binary: false,
    },
  ];
  for (const c of cases) {
    it(`${c.name}: decodes to what was sent`, () => {
      const codec =
        c.kind === "request" ? VerifyRound.codec : c.kind === "reply" ? VerifyRound.replyCodec : SessionStream.codec;
      const bytes = encodePayload(codec as never, c.value as never);
      assert.equal(isBinary(bytes), c.binary);
      assert.deepEqual(roundTrip[c.kind](c.value as never), { ok: true, value: c.value });
    });
  }

  it("is smaller than JSON for a greedy round", () => {
    const round: Round = { sessionId: "0123456789abcdef0123456789abcdef", position: 1234, draft: [101, 202, 303, 404] };
    assert.ok(encodePayload(VerifyRound.codec, round).length < JSON.stringify(round).length);
  });

  const binary = (...parts: number[][]) => new Uint8Array([BINARY_TAG, ...parts.flat()]);
  const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
  const f64 = (n: number) => [...new Uint8Array(new Float64Array([n]).buffer)];
  const id = (s: string) => [s.length, ...[...s].map((c) => c.charCodeAt(0))];
  const refusals: [string, Uint8Array, RegExp][] = [
    ["only the tag", binary(), /truncated in sessionId/],
    ["an empty session id", binary(id(""), f64(1), u32(0)), /sessionId: letters/],
    ["a session id with a dot", binary(id("a.b"), f64(1), u32(0)), /sessionId: letters/],
    ["a negative position", binary(id("s"), f64(-1), u32(0)), /position: expected a non-negative integer/],
    ["a fractional position", binary(id("s"), f64(1.5), u32(0)), /position: expected a non-negative integer/],
    [
      "65 draft tokens",
      binary(id("s"), f64(1), u32(65), ...Array.from({ length: 65 }, () => u32(1))),
      /more than 64 tokens/,
    ],
    ["a draft shorter than its count", binary(id("s"), f64(1), u32(3), u32(1)), /truncated in draft/],
    ["bytes after the message", binary(id("s"), f64(1), u32(0), [0]), /1 bytes after the binary message/],
  ];
  for (const [name, bytes, reason] of refusals) {
    it(`refuses a round with ${name}, saying why`, () => {
      const decoded = decodePayload(VerifyRound.codec, VerifyRound.schema, bytes);
      assert.equal(decoded.ok, false);
      assert.match((decoded as { reason: string }).reason, reason);
    });
  }

  it("refuses a reply of an unknown status and an event of an unknown kind", () => {
    const reply = decodePayload(VerifyRound.replyCodec, VerifyRound.reply, binary([9]));
    assert.match((reply as { reason: string }).reason, /unknown binary status 9/);
    const event = decodePayload(SessionStream.codec, SessionStream.schema, binary([2]));
    assert.match((event as { reason: string }).reason, /unknown binary event 2/);
  });

  it("never throws on random bytes, binary-tagged or not", () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2000; i++) {
      const bytes = new Uint8Array(Math.floor(random() * 60)).map(() => Math.floor(random() * 256));
      if (i % 2 === 0 && bytes.length > 0) bytes[0] = BINARY_TAG;
      for (const [codec, schema] of [
        [VerifyRound.codec, VerifyRound.schema],
        [VerifyRound.replyCodec, VerifyRound.reply],
        [SessionStream.codec, SessionStream.schema],
      ] as const)
        assert.doesNotThrow(() => decodePayload(codec as never, schema, bytes));
    }
  });

  it("JSON still reaches the schema: a malformed JSON round is refused by it", () => {
    const decoded = decodePayload(VerifyRound.codec, VerifyRound.schema, Buffer.from(JSON.stringify({ sessionId: 5 })));
    assert.equal(decoded.ok, false);
  });
});
