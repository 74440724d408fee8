import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  GREEDY_SAMPLING,
  MAX_PROMPT_JSON_BYTES,
  SchedulerSubmit,
  VerifierOpen,
  decodeWith,
  promptFitsMessage,
  promptJsonBytes,
} from "#contracts";

/** NATS's default max_payload: a message over it is refused by the server. */
const NATS_MAX_PAYLOAD = 1024 * 1024;

const submit = (prompt: string) => ({
  sessionId: "cmpl-1",
  model: "stories260K",
  prompt,
  maxTokens: 4096,
  window: null,
  sampling: { ...GREEDY_SAMPLING, seed: Number.MAX_SAFE_INTEGER },
  priority: -1000,
  submittedAt: Date.now(),
});
const open = (prompt: string) => ({
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
});
