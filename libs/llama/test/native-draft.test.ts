import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Llama, LlamaContext, Token } from "node-llama-cpp";
import { defaultModelPath } from "#infra";
import {
  createLlama,
  createSessionContext,
  loadModel,
  ModelSession,
  NativeModel,
  nativeUnavailable,
  tokenizePrompt,
  type LoadedModel,
} from "#llama";
import { GREEDY } from "#speculation";

// The native runner's drafting (native/llama, built by scripts/setup.sh) against node-llama-cpp's path on
// the real model: the same greedy windows, alone, in lockstep and after partial acceptance.
const PROMPTS = [
  "Once upon a time",
  "Lily and Ben went to the park",
  "The little dog was sad because",
  "One day, a big red ball rolled into the garden and the cat",
];

describe("native drafter", () => {
  let llama: Llama;
  let loaded: LoadedModel;
  let context: LlamaContext;
  let native: NativeModel;

  before(async () => {
    assert.equal(nativeUnavailable(), null, "bash scripts/setup.sh builds the native runner");
    llama = await createLlama(1);
    loaded = await loadModel(llama, defaultModelPath());
    context = await createSessionContext(loaded.model, { sequences: 4, contextSize: 512, threads: 1 });
    native = NativeModel.load(defaultModelPath(), {
      contextSize: 512,
      sequences: 4,
      threads: 1,
      use: "draft",
    });
  });

  after(async () => {
    native.close();
    await context.dispose();
    await loaded.model.dispose();
    await llama.dispose();
  });

  const eog = (token: number) => loaded.model.isEogToken(token as Token);

  /** node-llama-cpp's greedy window after `committed` (ModelSession, as the fused verifier drafted before). */
  async function reference(committed: readonly number[], window: number): Promise<number[]> {
    const session = await ModelSession.open(context, committed);
    try {
      return (await session.draft(window, GREEDY)).tokens;
    } finally {
      await session.dispose();
    }
  }

  it("drafts the greedy windows node-llama-cpp drafts", async () => {
    for (const prompt of PROMPTS) {
      const committed = tokenizePrompt(loaded.model, prompt);
      const sequence = await native.openDraft(committed, eog);
      try {
        const drafted = await sequence.draft(48);
        assert.deepEqual(drafted.tokens, await reference(committed, 48), prompt);
        assert.deepEqual(drafted.q, []);
      } finally {
        await sequence.dispose();
      }
    }
  });

  it("drafts sessions asked in the same turn in lockstep, each as if alone", async () => {
    const committed = PROMPTS.map((prompt) => tokenizePrompt(loaded.model, prompt));
    const sequences = await Promise.all(committed.map((tokens) => native.openDraft(tokens, eog)));
    try {
      const windows = [40, 7, 64, 1];
      const drafted = await Promise.all(sequences.map((sequence, i) => sequence.draft(windows[i]!)));
      for (let i = 0; i < committed.length; i++)
        assert.deepEqual(drafted[i]!.tokens, await reference(committed[i]!, windows[i]!), PROMPTS[i]);
    } finally {
      await Promise.all(sequences.map((sequence) => sequence.dispose()));
    }
  });

  it("goes on from what was committed: all accepted, part accepted, and a token of the target's own", async () => {
    const prompt = tokenizePrompt(loaded.model, PROMPTS[1]!);
    const sequence = await native.openDraft(prompt, eog);
    try {
      let committed = [...prompt];
      const first = (await sequence.draft(12)).tokens;
      // All 12 accepted, and a bonus token the drafter did not draft.
      const bonus = (first[0]! + 7) % 512;
      await sequence.commit(committed.length, [...first, bonus]);
      committed = [...committed, ...first, bonus];
      const second = (await sequence.draft(10)).tokens;
      assert.deepEqual(second, await reference(committed, 10));
      // Three accepted, the fourth replaced.
      const replaced = [...second.slice(0, 3), (second[3]! + 1) % 512];
      await sequence.commit(committed.length, replaced);
      committed = [...committed, ...replaced];
      assert.deepEqual((await sequence.draft(16)).tokens, await reference(committed, 16));
      assert.equal(sequence.position, committed.length);
    } finally {
      await sequence.dispose();
    }
  });

  it("pipelines as a remote drafter does: a window drafted after the one in flight, kept or thrown away", async () => {
    const prompt = tokenizePrompt(loaded.model, PROMPTS[3]!);
    const sequence = await native.openDraft(prompt, eog);
    try {
      let committed = [...prompt];
      const window = (await sequence.draft(4)).tokens;
      // Drafted while that window is verified: the bonus guess and 4 more, after its last token.
      const guess = (await sequence.draft(5, GREEDY, [window.at(-1)!])).tokens;
      assert.deepEqual(guess, await reference([...committed, ...window], 5), "the guess goes on after the window");
      // The whole window and the guessed bonus accepted: the guess stays in the cache.
      await sequence.commit(committed.length, [...window, guess[0]!], true);
      committed = [...committed, ...window, guess[0]!];
      assert.equal(sequence.ledger.cachedLength, committed.length + 3, "the guess's drafted tokens stay cached");
      const next = (await sequence.draft(5, GREEDY, [guess.at(-1)!])).tokens;
      assert.deepEqual(next, await reference([...committed, ...guess.slice(1)], 5), "drafted on after the kept guess");
      // The guess's first two tokens accepted, the third corrected: the rest of it is erased.
      const corrected = [guess[1]!, guess[2]!, (guess[3]! + 1) % 512];
      await sequence.commit(committed.length, corrected);
      committed = [...committed, ...corrected];
      const after = (await sequence.draft(6)).tokens;
      assert.deepEqual(after, await reference(committed, 6), "drafted after the correction as if never guessed");
      // A guess thrown away without a commit (the window it followed was not sent).
      await sequence.draft(7, GREEDY, [after.at(-1)!]);
      await sequence.rollbackToCommitted();
      assert.deepEqual((await sequence.draft(6)).tokens, after, "the same window again after the rollback");
      assert.equal(sequence.isEndOfGeneration(after[0]!), loaded.model.isEogToken(after[0]! as Token));
    } finally {
      await sequence.dispose();
    }
  });

  it("reuses a disposed session's sequence without its cells", async () => {
    const first = await native.openDraft(tokenizePrompt(loaded.model, PROMPTS[2]!), eog);
    await first.draft(30);
    await first.dispose();
    const committed = tokenizePrompt(loaded.model, PROMPTS[3]!);
    const second = await native.openDraft(committed, eog);
    try {
      assert.deepEqual((await second.draft(30)).tokens, await reference(committed, 30));
    } finally {
      await second.dispose();
    }
  });

  it("refuses what it cannot do with a clear error, and goes on drafting", async () => {
    const committed = tokenizePrompt(loaded.model, PROMPTS[0]!);
    const sequence = await native.openDraft(committed, eog);
    try {
      await assert.rejects(sequence.draft(4, { ...GREEDY, temperature: 0.8 }), /greedily only/);
      await sequence.draft(4);
      await assert.rejects(sequence.draft(4), /holds its drafts already/);
      // A token outside the vocabulary: llama.cpp refuses the decode, the process lives on.
      await sequence.commit(committed.length, [1_000_000]);
      await assert.rejects(sequence.draft(4), /draft decode failed/);
    } finally {
      await sequence.dispose();
    }
    const taken = await Promise.all(Array.from({ length: 4 }, () => native.openDraft([1], eog)));
    await assert.rejects(native.openDraft([1], eog, 50), /no free sequence/);
    // One disposed while another waits: the waiting one gets its sequence.
    const waiting = native.openDraft([1], eog, 2000);
    await taken[0]!.dispose();
    await (await waiting).dispose();
    await Promise.all(taken.slice(1).map((sequence) => sequence.dispose()));
    const again = await native.openDraft(committed, eog);
    try {
      assert.deepEqual((await again.draft(8)).tokens, await reference(committed, 8));
    } finally {
      await again.dispose();
    }
    await assert.rejects(again.draft(1), /disposed/);
  });

  it("times its drafting per token", async () => {
    const ms = await native.measureDraftSpeed(tokenizePrompt(loaded.model, PROMPTS[0]!));
    assert.ok(ms > 0 && ms < 1000, `${ms} ms per token`);
  });
});
