import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ANY_ID,
  DrafterOpen,
  SchedulerSubmit,
  SessionStream,
  VerifyRound,
  decodeBytes,
  decodeWith,
  senderOf,
  subjectFor,
} from "#contracts";

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe("decodeBytes", () => {
  const garbage: [string, Uint8Array][] = [
    ["empty", new Uint8Array()],
    ["invalid UTF-8", new Uint8Array([0xff, 0xfe, 0x00])],
    ["truncated JSON", new TextEncoder().encode('{"sessionId":"s1",')],
    ["plain text", new TextEncoder().encode("hello")],
  ];
  for (const [name, data] of garbage) {
    it(`rejects ${name} without throwing`, () => {
      assert.deepEqual(decodeBytes(VerifyRound.schema, data), { ok: false, reason: "payload is not valid JSON" });
    });
  }

  it("decodes a valid VerifyRound and strips unknown keys", () => {
    const data = bytes({ sessionId: "s-1", position: 7, draft: [4, 5, 6], extra: true });
    assert.deepEqual(decodeBytes(VerifyRound.schema, data), {
      ok: true,
      value: { sessionId: "s-1", position: 7, draft: [4, 5, 6] },
    });
  });

  it("valid JSON of the wrong shape fails schema validation, naming the field", () => {
    const result = decodeBytes(VerifyRound.schema, bytes({ sessionId: "s1", position: "7", draft: [] }));
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.reason : "", /→ at position/);
  });
});

describe("decodeWith VerifyRound.schema", () => {
  const valid = { sessionId: "s1", position: 0, draft: [] as number[] };
  const invalid: [string, unknown, RegExp][] = [
    ["null", null, /expected object/],
    ["array", [1, 2], /expected object/],
    ["position as string", { ...valid, position: "0" }, /→ at position/],
    ["negative position", { ...valid, position: -1 }, /→ at position/],
    ["fractional token", { ...valid, draft: [1.5] }, /→ at draft\[0\]/],
    ["negative token", { ...valid, draft: [3, -2] }, /→ at draft\[1\]/],
    ["65 draft tokens (max 64)", { ...valid, draft: Array<number>(65).fill(1) }, /→ at draft/],
    ["session id with a dot", { ...valid, sessionId: "a.b" }, /→ at sessionId/],
    ["missing draft", { sessionId: "s1", position: 0 }, /→ at draft/],
  ];
  for (const [name, data, reason] of invalid) {
    it(`rejects ${name}`, () => {
      const result = decodeWith(VerifyRound.schema, data);
      assert.equal(result.ok, false);
      assert.match(!result.ok ? result.reason : "", reason);
    });
  }

  it("accepts an empty draft (γ=0) and 64 tokens", () => {
    assert.deepEqual(decodeWith(VerifyRound.schema, valid), { ok: true, value: valid });
    const full = { ...valid, draft: Array<number>(64).fill(9) };
    assert.deepEqual(decodeWith(VerifyRound.schema, full), { ok: true, value: full });
  });
});

describe("decodeWith SchedulerSubmit.reply", () => {
  const valid = [
    { ok: true, sessionId: "s1", queued: false },
    { ok: true, sessionId: "s1", queued: true },
    { ok: false, error: { code: "model_not_found", message: "no verifier for 'm'" } },
  ];
  for (const reply of valid) {
    it(`accepts ${JSON.stringify(reply)}`, () => {
      assert.deepEqual(decodeWith(SchedulerSubmit.reply, reply), { ok: true, value: reply });
    });
  }

  const invalid: [string, unknown, RegExp][] = [
    ["ok as a string", { ok: "true", sessionId: "s1", queued: false }, /→ at ok/],
    ["success without queued", { ok: true, sessionId: "s1" }, /→ at queued/],
    ["unknown error code", { ok: false, error: { code: "teapot", message: "x" } }, /→ at error\.code/],
    ["failure without error", { ok: false }, /→ at error/],
  ];
  for (const [name, data, reason] of invalid) {
    it(`rejects ${name}`, () => {
      const result = decodeWith(SchedulerSubmit.reply, data);
      assert.equal(result.ok, false);
      assert.match(!result.ok ? result.reason : "", reason);
    });
  }
});

describe("subjectFor", () => {
  const valid: [string, string, string, string][] = [
    ["VerifyRound", "verifier-1", "drafter-1", "specfleet.verifier.verifier-1.verify.drafter-1"],
    ["DrafterOpen", "d_2", "scheduler", "specfleet.drafter.d_2.open"],
    ["SessionStream", "s1", "verifier-1", "specfleet.session.s1.events.verifier-1"],
  ];
  const contracts = { VerifyRound, DrafterOpen, SessionStream };
  for (const [name, id, from, subject] of valid) {
    it(`${name} with '${id}' from '${from}' → ${subject}`, () => {
      assert.equal(subjectFor(contracts[name as keyof typeof contracts], id, from), subject);
    });
  }

  it("a sender-bound subject names its sender last; others name none", () => {
    assert.equal(senderOf(VerifyRound, "specfleet.verifier.v1.verify.drafter-1"), "drafter-1");
    assert.equal(senderOf(DrafterOpen, "specfleet.drafter.d1.open"), null);
  });

  for (const from of ["", "a.b", ">", "a b"]) {
    it(`rejects sender ${JSON.stringify(from)}`, () => {
      assert.throws(() => subjectFor(VerifyRound, "v1", from), {
        message: `invalid subject sender '${from}': use letters, digits, '-' and '_'`,
      });
    });
  }

  for (const id of ["", "a.b", "**", ">", "a b", "v1.>"]) {
    it(`rejects id ${JSON.stringify(id)}`, () => {
      assert.throws(() => subjectFor(VerifyRound, id), {
        message: `invalid subject id '${id}': use letters, digits, '-' and '_'`,
      });
    });
  }

  it("ANY_ID subscribes to every worker's or session's subject", () => {
    assert.equal(subjectFor(SessionStream, ANY_ID), "specfleet.session.*.events.*");
  });

  it("a subject without {id} is returned as is", () => {
    assert.equal(subjectFor(SchedulerSubmit, "ignored.*"), "specfleet.scheduler.submit");
  });
});
