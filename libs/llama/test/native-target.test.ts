import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Llama, LlamaContext } from "node-llama-cpp";
import { defaultModelPath } from "#infra";
import {
  createLlama,
  createSessionContext,
  loadModel,
  ModelSession,
  NativeModel,
  nativeUnavailable,
  tokenizePrompt,
  verifyWindow,
  type LoadedModel,
  type TargetSession,
} from "#llama";
import { GREEDY } from "#speculation";

// The native runner's verify passes (native/llama, built by scripts/setup.sh) on the real model:
// greedy speculative decoding on it gives what the target decoding alone through node-llama-cpp
// gives, alone and with several sessions' passes in one decode, past rejections at every place.
const PROMPTS = [
  "Once upon a time",
  "Lily and Ben went to the park",
  "The little dog was sad because",
  "One day, a big red ball rolled into the garden and the cat",
];
const TOKENS = 40;
const WINDOW = 6;

describe("native target", () => {
  let llama: Llama;
  let loaded: LoadedModel;
  let context: LlamaContext;
  let native: NativeModel;
  const alone = new Map<string, number[]>();

  before(async () => {
    assert.equal(nativeUnavailable(), null, "bash scripts/setup.sh builds the native runner");
    llama = await createLlama(1);
    loaded = await loadModel(llama, defaultModelPath());
    context = await createSessionContext(loaded.model, { sequences: 4, contextSize: 512, threads: 1 });
    native = NativeModel.load(defaultModelPath(), { contextSize: 512, sequences: 4, threads: 1, use: "verify" });
    for (const prompt of PROMPTS) alone.set(prompt, await decodeAlone(tokenizePrompt(loaded.model, prompt)));
  });

  after(async () => {
    native.close();
    await context.dispose();
    await loaded.model.dispose();
    await llama.dispose();
  });

  /** The target decoding alone through node-llama-cpp: one pass per token. */
  async function decodeAlone(prompt: readonly number[]): Promise<number[]> {
    const session = await ModelSession.open(context, prompt);
    try {
      const out: number[] = [];
      while (out.length < TOKENS) {
        const [token] = await session.predict([]);
        await session.commit(session.position, [token!]);
        out.push(token!);
      }
      return out;
    } finally {
      await session.dispose();
    }
  }

  const isEog = (token: number) => loaded.model.isEogToken(token as never);

  /**
   * Greedy speculative decoding on `target`: each window is the true continuation with one token
   * changed (at a place that moves every round), so rounds are cut short at every offset, and
   * some windows go whole.
   */
  async function decodeSpeculatively(target: TargetSession, expected: readonly number[]) {
    const out: number[] = [];
    let round = 0;
    let rejected = 0;
    while (out.length < TOKENS) {
      const window = expected.slice(out.length, out.length + WINDOW).slice(0, TOKENS - out.length - 1);
      const wrong = round % (WINDOW + 2);
      const draft = window.map((token, i) => (i === wrong ? (token + 1) % 500 : token));
      const position = target.position;
      const verdict = await verifyWindow(target, draft, [], GREEDY);
      if (verdict.accepted < draft.length) rejected++;
      await target.commit(position, verdict.tokens);
      out.push(...verdict.tokens);
      round++;
    }
    return { tokens: out.slice(0, TOKENS), rejected, rounds: round };
  }

  it("verifies greedy windows to what the target decoding alone gives", async () => {
    for (const prompt of PROMPTS) {
      const expected = alone.get(prompt)!;
      const target = await native.openTarget(tokenizePrompt(loaded.model, prompt), isEog);
      try {
        const run = await decodeSpeculatively(target, expected);
        assert.deepEqual(run.tokens, expected, prompt);
        assert.ok(run.rejected > 0 && run.rejected < run.rounds, `${run.rejected} of ${run.rounds} rounds cut short`);
      } finally {
        await target.dispose();
      }
    }
  });

  it("verifies several sessions' windows in one call, each as alone", async () => {
    const targets = await Promise.all(
      PROMPTS.map((prompt) => native.openTarget(tokenizePrompt(loaded.model, prompt), isEog)),
    );
    try {
      const runs = await Promise.all(targets.map((target, i) => decodeSpeculatively(target, alone.get(PROMPTS[i]!)!)));
      runs.forEach((run, i) => assert.deepEqual(run.tokens, alone.get(PROMPTS[i]!), PROMPTS[i]));
    } finally {
      await Promise.all(targets.map((target) => target.dispose()));
    }
  });

  it("predicts what node-llama-cpp predicts for the same tail and window", async () => {
    const committed = tokenizePrompt(loaded.model, PROMPTS[3]!);
    const draft = [...alone.get(PROMPTS[3]!)!.slice(0, 9), 7, 8, 9];
    const reference = await ModelSession.open(context, committed);
    const target = await native.openTarget(committed, isEog);
    try {
      assert.deepEqual(await target.predict(draft), await reference.predict(draft));
    } finally {
      await reference.dispose();
      await target.dispose();
    }
  });

  it("refuses what it cannot do with a clear error, and goes on verifying", async () => {
    const prompt = tokenizePrompt(loaded.model, PROMPTS[0]!);
    const target = await native.openTarget(prompt, isEog);
    try {
      assert.equal(target.isEndOfGeneration(2), loaded.model.isEogToken(2 as never));
      await target.predict([]);
      await assert.rejects(target.predict([]), /cache holds the last committed token/);
      await assert.rejects(
        verifyWindow(target, [5], [new Map([[5, 1]])], { ...GREEDY, temperature: 0.8 }),
        /node-llama-cpp/,
      );
      // A token outside the vocabulary: llama.cpp refuses the decode, the process lives on.
      await target.commit(prompt.length, [1_000_000]);
      await assert.rejects(target.predict([]), /verify decode failed/);
    } finally {
      await target.dispose();
    }
    await assert.rejects(target.predict([]), /disposed/);
    const again = await native.openTarget(prompt, isEog);
    try {
      assert.deepEqual((await decodeSpeculatively(again, alone.get(PROMPTS[0]!)!)).tokens, alone.get(PROMPTS[0]!));
    } finally {
      await again.dispose();
    }
  });
});
