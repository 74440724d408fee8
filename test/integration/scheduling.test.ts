import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { LocalFleet } from "#infra";
import { complete } from "../support/openai-client.js";
import { MODEL, MODEL_PATH, PROMPTS, startTestFleet } from "../support/fleet.js";
import { referenceCompletions } from "../support/reference.js";

/** One verifier and one drafter with room for a single session each. */
describe("scheduling with a busy fleet", () => {
  let fleet: LocalFleet;

  before(async () => {
    fleet = await startTestFleet("scheduling", { verifiers: 1, drafters: 1, maxSessions: 1 });
  });

  after(async () => {
    await fleet?.stop();
  });

  it("queues requests while the only pair is busy and serves them all, token-identical", async () => {
    const prompts = PROMPTS.slice(0, 3);
    const reference = await referenceCompletions(MODEL_PATH, prompts, 64);
    const results = await Promise.all(
      prompts.map((prompt) => complete(fleet.gatewayUrl, { model: MODEL, prompt, max_tokens: 64 })),
    );
    for (const [i, result] of results.entries()) {
      assert.equal(result.status, 200, JSON.stringify(result.body));
      assert.deepEqual(result.tokenIds, (await reference.for(prompts[i]!, result.tokenIds)).tokens);
    }
  });

  it("frees the pair when a streaming client disconnects", async () => {
    const aborter = new AbortController();
    const response = await fetch(`${fleet.gatewayUrl}/v1/completions`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model: MODEL, prompt: "Once upon a time", max_tokens: 480, stream: true }),
      signal: aborter.signal,
    });
    const reader = response.body!.getReader();
    await reader.read(); // the first chunk: the session is running
    aborter.abort();
    const verifier = fleet.processes.get("verifier-1")!;
    const ended = await verifier.waitForLine((line) => line.includes('"session ended"'), 10_000, {
      includePast: false,
    });
    assert.match(ended, /"finishReason":"cancelled"/);
    const next = await complete(fleet.gatewayUrl, { model: MODEL, prompt: "The little dog", max_tokens: 8 });
    assert.equal(next.status, 200);
  });
});
