import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  GREEDY_SAMPLING,
  type Prompt,
  MAX_PROMPT_JSON_BYTES,
  MAX_PROMPT_TOKENS,
  SchedulerSubmit,
  VerifierOpen,
  decodeWith,
  promptFitsMessage,
  promptJsonBytes,
} from "#contracts";

/** NATS's default max_payload: a message over it is refused by the server. */
const NATS_MAX_PAYLOAD = 1024 * 1024;

const submit = (prompt: Prompt) => ({
  sessionId: "cmpl-1",
  model: "stories260K",
  prompt,
  maxTokens: 4096,
  window: null,
  sampling: { ...GREEDY_SAMPLING, seed: Number.MAX_SAFE_INTEGER },
  priority: -1000,
  submittedAt: Date.now(),
});
const open = (prompt: Prompt) => ({
  sessionId: "cmpl-1",
  prompt,
  maxTokens: 4096,
  sampling: GREEDY_SAMPLING,
  drafterId: "drafter-1",
  resume: false,
});

describe("prompt bounds in control-plane contracts", () => {
  const cases: Array<{ name: string; prompt: string; fits: boolean }> = [
    { name: "a short prompt", prompt: "Once upon a time", fits: true },
    { name: "an empty prompt", prompt: "", fits: true },
    { name: "ASCII up to the bound", prompt: "a".repeat(MAX_PROMPT_JSON_BYTES - 2), fits: true },
    { name: "ASCII one byte over", prompt: "a".repeat(MAX_PROMPT_JSON_BYTES - 1), fits: false },
    // 150,000 characters, far below the gateway's 200,000, but 900,002 bytes escaped as \u0001.
    { name: "control characters, six bytes each", prompt: "\u0001".repeat(150_000), fits: false },
    { name: "control characters within the bound", prompt: "\u0001".repeat(149_999), fits: true },
    { name: "quotes and backslashes, two bytes each", prompt: '"\\'.repeat(225_000), fits: false },
    { name: "three-byte characters", prompt: "€".repeat(299_999), fits: true },
    { name: "lone surrogates, escaped as six bytes", prompt: "\ud800".repeat(150_000), fits: false },
  ];
  for (const c of cases) {
    it(`${c.fits ? "accepts" : "refuses"} ${c.name}`, () => {
      assert.equal(promptFitsMessage(c.prompt), c.fits);
      assert.equal(promptJsonBytes(c.prompt) <= MAX_PROMPT_JSON_BYTES, c.fits);
      for (const [contract, payload] of [
        [SchedulerSubmit.schema, submit(c.prompt)],
        [VerifierOpen.schema, open(c.prompt)],
      ] as const) {
        const decoded = decodeWith(contract, payload);
        assert.equal(decoded.ok, c.fits, decoded.ok ? "" : decoded.reason);
        if (!decoded.ok) assert.match(decoded.reason, new RegExp(`${MAX_PROMPT_JSON_BYTES} bytes`));
      }
    });
  }

  it("every message with a prompt within the bound fits NATS's max payload", () => {
    const worst = "\u0001".repeat(Math.floor((MAX_PROMPT_JSON_BYTES - 2) / 6));
    assert.ok(promptFitsMessage(worst));
    for (const message of [submit(worst), open(worst)]) {
      const bytes = Buffer.byteLength(JSON.stringify(message));
      assert.ok(bytes < NATS_MAX_PAYLOAD - 4096, `${bytes} bytes leave room for headers`);
    }
  });

  describe("prompts given as token ids", () => {
    const cases: Array<{ name: string; prompt: unknown; fits: boolean; reason?: RegExp }> = [
      { name: "a few ids", prompt: { tokens: [1, 403, 407] }, fits: true },
      { name: "no ids", prompt: { tokens: [] }, fits: false },
      { name: "a negative id", prompt: { tokens: [1, -2] }, fits: false },
      { name: "a fractional id", prompt: { tokens: [1.5] }, fits: false },
      { name: "the most ids allowed", prompt: { tokens: new Array<number>(MAX_PROMPT_TOKENS).fill(1) }, fits: true },
      { name: "one id too many", prompt: { tokens: new Array<number>(MAX_PROMPT_TOKENS + 1).fill(1) }, fits: false },
      // 100,000 ids of 9 digits and a comma: 1,000,001 bytes.
      {
        name: "ids whose JSON is over the byte bound",
        prompt: { tokens: new Array<number>(100_000).fill(123_456_789) },
        fits: false,
        reason: new RegExp(`${MAX_PROMPT_JSON_BYTES} bytes`),
      },
    ];
    for (const c of cases) {
      it(`${c.fits ? "accepts" : "refuses"} ${c.name}`, () => {
        for (const [contract, payload] of [
          [SchedulerSubmit.schema, submit(c.prompt as Prompt)],
          [VerifierOpen.schema, open(c.prompt as Prompt)],
        ] as const) {
          const decoded = decodeWith(contract, payload);
          assert.equal(decoded.ok, c.fits, decoded.ok ? "" : decoded.reason);
          if (!decoded.ok && c.reason) assert.match(decoded.reason, c.reason);
        }
      });
    }

    it("a prompt of ids within the bounds fits NATS's max payload", () => {
      const worst = { tokens: new Array<number>(MAX_PROMPT_TOKENS).fill(2 ** 31 - 1) };
      assert.equal(promptFitsMessage(worst), false, "the byte bound refuses what the count bound lets through");
      const widest = { tokens: new Array<number>(Math.floor(MAX_PROMPT_JSON_BYTES / 11) - 1).fill(2 ** 31 - 1) };
      assert.ok(promptFitsMessage(widest));
      for (const message of [submit(widest), open(widest)]) {
        const bytes = Buffer.byteLength(JSON.stringify(message));
        assert.ok(bytes < NATS_MAX_PAYLOAD - 4096, `${bytes} bytes leave room for headers`);
      }
    });
  });
});
