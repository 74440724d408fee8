import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { LocalFleet } from "#infra";
import { expectedCompletion, llamaServerFixture, type PromptFixture } from "../fixtures/llama-server/fixtures.js";
import { complete, type CompletionResult } from "../support/openai-client.js";
import { MODEL, startTestFleet } from "../support/fleet.js";

/**
 * Greedy answers through the fleet equal llama.cpp's own llama-server's on the same model
 * (fixtures made by llama-server: test/fixtures/llama-server), for text prompts and for the same
 * prompts given as token ids; speculating, and with the verifier decoding alone.
 */
const fixture = llamaServerFixture("stories260K");
const MAX_TOKENS = fixture.request.n_predict as number;

/**
 * Requests one at a time, as the fixtures were made: llama.cpp's arithmetic depends on what else
 * is in a forward pass (its kernels take other paths for other batch shapes), so sessions batched
 * together can flip a near-tie that llama-server, evaluating one sequence, resolves the other way
 * ("once UPON a TIME" does, one run in two, with four at once). Concurrent sessions are compared
 * with the target alone in lossless.test.ts; here the comparison is with llama-server itself.
 */
async function completeAll(gatewayUrl: string, prompts: readonly unknown[]): Promise<CompletionResult[]> {
  const results: CompletionResult[] = [];
  for (const [i, prompt] of prompts.entries())
    results.push(
      await complete(gatewayUrl, { model: MODEL, prompt, max_tokens: MAX_TOKENS, temperature: 0, stream: i % 2 === 1 }),
    );
  return results;
}

function assertLikeLlamaServer(result: CompletionResult, expected: PromptFixture, label: string): void {
  assert.equal(result.status, 200, `${label}: ${JSON.stringify(result.body)}`);
  // llama-server's own completion, on this CPU or another (fixtures.ts `alternatives`).
  const completion = expectedCompletion(expected, result.tokenIds);
  assert.deepEqual(result.tokenIds, completion.tokens, `${label}: tokens differ from llama-server's`);
  assert.equal(result.text, completion.text, `${label}: text differs from llama-server's`);
  assert.equal(result.finishReason, completion.finishReason, `${label}: finish_reason`);
}

for (const scenario of [
  { name: "speculating", drafters: 1 },
  { name: "verifier alone", drafters: 0 },
]) {
  describe(`greedy completions equal llama-server's (stories260K, ${scenario.name})`, () => {
    let fleet: LocalFleet;

    before(async () => {
      fleet = await startTestFleet(`llama-server-parity-${scenario.drafters}`, {
        verifiers: 1,
        drafters: scenario.drafters,
        maxSessions: 4,
        draftTemperature: 0,
      });
    });

    after(async () => {
      await fleet?.stop();
    });

    it(`completes all ${fixture.prompts.length} fixture prompts as llama-server does`, async () => {
      const results = await completeAll(
        fleet.gatewayUrl,
        fixture.prompts.map((p) => p.prompt),
      );
      results.forEach((result, i) => {
        const expected = fixture.prompts[i]!;
        const label = `${JSON.stringify(expected.prompt)}${i % 2 === 1 ? " (streamed)" : ""}`;
        assertLikeLlamaServer(result, expected, label);
        // prompt_tokens counts what the verifier evaluated: llama-server's tokens of the prompt.
        if (i % 2 === 0) assert.equal(result.usage?.prompt_tokens, expected.tokens.length, `${label}: prompt_tokens`);
      });
    });

    it("completes a prompt given as token ids ([ids] and [[ids]]) as the same prompt given as text", async () => {
      const chosen = fixture.prompts.filter((p) => p.tokens.length > 0).slice(0, 6);
      const prompts = chosen.map((p, i) => (i % 2 === 0 ? p.tokens : [p.tokens]));
      const results = await completeAll(fleet.gatewayUrl, prompts);
      results.forEach((result, i) => {
        const expected = chosen[i]!;
        assertLikeLlamaServer(result, expected, `ids of ${JSON.stringify(expected.prompt)}`);
        if (i % 2 === 0) assert.equal(result.usage?.prompt_tokens, expected.tokens.length);
      });
    });

    it("refuses ids outside the vocabulary with a 400 naming the prompt", async () => {
      const result = await complete(fleet.gatewayUrl, { model: MODEL, prompt: [1, 400, 512], max_tokens: 4 });
      assert.equal(result.status, 400, JSON.stringify(result.body));
      const { error } = result.body as { error: { code: string; param: string; message: string } };
      assert.equal(error.code, "invalid_prompt");
      assert.equal(error.param, "prompt");
      assert.match(error.message, /token 512 \(at index 2\) is outside the vocabulary/);
    });
  });
}
