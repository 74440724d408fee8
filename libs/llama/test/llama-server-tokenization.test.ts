import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Llama } from "node-llama-cpp";
import { defaultModelPath } from "#infra";
import {
  completionText,
  createLlama,
  InvalidPromptError,
  loadModel,
  promptTokensOf,
  tokenizePrompt,
  type LoadedModel,
} from "#llama";
import { expectedCompletion, llamaServerFixture } from "../../../test/fixtures/llama-server/fixtures.js";
import { referenceCompletions } from "../../../test/support/reference.js";

/**
 * Prompt text becomes exactly the token ids llama.cpp's own llama-server makes of it (fixtures
 * made by llama-server built from the llama.cpp node-llama-cpp ships: test/fixtures/llama-server),
 * and the target decoding those ids alone completes them as llama-server does.
 */
describe("prompts tokenized as llama-server tokenizes them (stories260K)", () => {
  const fixture = llamaServerFixture("stories260K");
  let llama: Llama;
  let loaded: LoadedModel;

  before(async () => {
    llama = await createLlama(1);
    loaded = await loadModel(llama, defaultModelPath());
  });

  after(async () => {
    await llama.dispose();
  });

  it("the fixtures cover the leading-space, whitespace, special-token and non-ASCII cases", () => {
    const prompts = fixture.prompts.map((p) => p.prompt);
    for (const probe of [" Once upon a time", "\n", "", "<s>Once upon a time", "The end.</s>Once upon a time"])
      assert.ok(prompts.includes(probe), `fixture for ${JSON.stringify(probe)}`);
    assert.ok(prompts.some((p) => /[^\x00-\x7f]/.test(p)));
  });

  for (const { prompt, tokens } of fixture.prompts) {
    it(`tokenizes ${JSON.stringify(prompt)} as llama-server does`, () => {
      assert.deepEqual(tokenizePrompt(loaded.model, prompt), tokens);
      assert.deepEqual(promptTokensOf(loaded, prompt), tokens);
    });
  }

  it("keeps the first word's leading-space marker after the beginning token (issue 12: 'Once', not 'O','n','ce')", () => {
    const tokens = tokenizePrompt(loaded.model, "Once upon a time");
    assert.equal(tokens[0], loaded.model.tokens.bos);
    assert.equal(completionText(loaded.model, [tokens[1]!], [tokens[0]!]), " Once");
  });

  it("takes token ids as given, and refuses ids outside the vocabulary", () => {
    const ids = fixture.prompts[0]!.tokens;
    assert.deepEqual(promptTokensOf(loaded, { tokens: ids }), ids);
    assert.deepEqual(promptTokensOf(loaded, { tokens: [loaded.vocabularySize - 1] }), [loaded.vocabularySize - 1]);
    assert.throws(
      () => promptTokensOf(loaded, { tokens: [1, loaded.vocabularySize] }),
      (err: unknown) =>
        err instanceof InvalidPromptError &&
        err.message.includes(`token ${loaded.vocabularySize} (at index 1) is outside the vocabulary`),
    );
  });

  it("the target decoding alone completes each prompt as llama-server does (greedy)", async () => {
    const prompts = fixture.prompts.map((p) => p.prompt);
    const maxTokens = fixture.request.n_predict as number;
    const reference = await referenceCompletions(defaultModelPath(), prompts, maxTokens);
    for (const entry of fixture.prompts) {
      const { prompt } = entry;
      const ours = reference.get(prompt)!;
      // llama-server's own, on this CPU or another (fixtures.ts `alternatives`).
      const completion = expectedCompletion(entry, ours.tokens);
      assert.deepEqual(ours.tokens, completion.tokens, `tokens of ${JSON.stringify(prompt)}`);
      assert.equal(ours.text, completion.text, `text of ${JSON.stringify(prompt)}`);
      assert.equal(ours.finishReason, completion.finishReason, `finish of ${JSON.stringify(prompt)}`);
    }
  });
});
