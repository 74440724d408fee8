import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Llama, LlamaContext } from "node-llama-cpp";
import { createLlama, createSessionContext, loadModel, ModelSession, tokenizePrompt, type LoadedModel } from "#llama";
import { acceptGreedy } from "#speculation";
import { MODEL_PATH, PROMPTS } from "../support/fleet.js";

const SESSIONS = 8;
const ROUNDS = 40;
const WINDOW = 4;
const VOCABULARY = 512;

/**
 * Regression test for node-llama-cpp 3.21.1's race: sequences of one context evaluated
 * concurrently (merged into one decode) received each other's logits. Every session's
 * per-position predictions must equal those of the same session evaluated alone.
 */
describe("concurrent verification on one verifier", () => {
  let llama: Llama;
  let loaded: LoadedModel;
  let batched: LlamaContext;
  let alone: LlamaContext;

  before(async () => {
    llama = await createLlama(1);
    loaded = await loadModel(llama, MODEL_PATH);
    batched = await createSessionContext(loaded.model, { sequences: SESSIONS, contextSize: 512, threads: 1 });
    alone = await createSessionContext(loaded.model, { sequences: SESSIONS, contextSize: 512, threads: 1 });
  });

  after(async () => {
    await llama?.dispose();
  });

  it(`gives ${SESSIONS} concurrent sessions the predictions each gets alone, over ${ROUNDS} rounds`, async (t) => {
    const prompts = Array.from({ length: SESSIONS }, (_, i) =>
      tokenizePrompt(loaded.model, `${PROMPTS[i % PROMPTS.length]}${" and then".repeat(i)}`),
    );
    const together = await Promise.all(prompts.map((p) => ModelSession.open(batched, p)));
    const separate: ModelSession[] = [];
    for (const p of prompts) separate.push(await ModelSession.open(alone, p));
    let random = 12345;
    const nextToken = () => {
      random = (random * 1103515245 + 12345) % 2 ** 31;
      return 3 + (random % (VOCABULARY - 3)); // skip the special tokens 0-2
    };

    let mismatches = 0;
    let positions = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const drafts = together.map(() => Array.from({ length: WINDOW }, nextToken));
      // Issued in one tick: node-llama-cpp merges them into one decode.
      const concurrent = await Promise.all(together.map((s, i) => s.predict(drafts[i]!)));
      for (let i = 0; i < SESSIONS; i++) {
        const expected = await separate[i]!.predict(drafts[i]!);
        positions += expected.length;
        if (JSON.stringify(expected) !== JSON.stringify(concurrent[i])) mismatches++;
        // Advance both copies by the same committed tokens so sessions drift apart in length.
        const verdict = acceptGreedy(drafts[i]!, expected);
        const position = separate[i]!.position;
        await separate[i]!.commit(position, verdict.tokens);
        await together[i]!.commit(position, verdict.tokens);
      }
    }
    t.diagnostic(`${SESSIONS * ROUNDS} rounds, ${positions} predicted positions, ${mismatches} mismatched rounds`);
    assert.equal(mismatches, 0);
  });
});
