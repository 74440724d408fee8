import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Llama, LlamaContext } from "node-llama-cpp";
import {
  createLlama,
  createSessionContext,
  decodeAloneInProcess,
  loadModel,
  ModelSession,
  speculateInProcess,
  tokenizePrompt,
  type LoadedModel,
} from "#llama";
import { deriveModel } from "#models";
import type { SamplingParams } from "#speculation";
import { chiSquareHomogeneity, countOutcomes, totalVariation } from "#stats";
import { MODEL_PATH } from "../support/fleet.js";

const PROMPT = "Once upon a time, there was a";
const LENGTH = 3;
const SAMPLES = 1500;

/**
 * Speculative sampling with real models in one process: the target's p read from filtered
 * logits equals its full distribution, and continuations sampled speculatively with a drafter
 * whose distribution differs from the target's (4 of its 5 layers) are distributed as the
 * target's own samples, not the drafter's.
 */
describe("speculative sampling with real models (in process)", () => {
  let dir: string;
  let llama: Llama;
  let target: LoadedModel;
  let drafter: LoadedModel;
  let targetContext: LlamaContext;
  let draftContext: LlamaContext;
  let promptTokens: number[];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "specfleet-sampling-"));
    const drafterPath = join(dir, "L4of5.gguf");
    await deriveModel(MODEL_PATH, drafterPath, { keepLayers: [0, 1, 2, 4] });
    llama = await createLlama(1);
    target = await loadModel(llama, MODEL_PATH);
    drafter = await loadModel(llama, drafterPath);
    targetContext = await createSessionContext(target.model, { contextSize: 128, sequences: 1, threads: 1 });
    draftContext = await createSessionContext(drafter.model, { contextSize: 128, sequences: 1, threads: 1 });
    promptTokens = tokenizePrompt(target.model, PROMPT);
  });

  after(async () => {
    await llama?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function speculative(sampling: SamplingParams, window: number, reportTop?: number): Promise<number[]> {
    const t = await ModelSession.open(targetContext, promptTokens);
    const d = await ModelSession.open(draftContext, promptTokens);
    try {
      return (await speculateInProcess(t, d, { maxTokens: LENGTH, window, sampling, reportTop })).tokens;
    } finally {
      await t.dispose();
      await d.dispose();
    }
  }

  async function alone(context: LlamaContext, sampling: SamplingParams): Promise<number[]> {
    const session = await ModelSession.open(context, promptTokens);
    try {
      return await decodeAloneInProcess(session, { maxTokens: LENGTH, sampling });
    } finally {
      await session.dispose();
    }
  }

  async function sample(generate: (seed: number) => Promise<number[]>, seedBase: number): Promise<Map<string, number>> {
    const outcomes: string[] = [];
    for (let i = 0; i < SAMPLES; i++) outcomes.push((await generate(seedBase + i)).join(" "));
    return countOutcomes(outcomes);
  }

  for (const truncation of [
    { name: "T = 1", temperature: 1, topK: 0, topP: 1 },
    { name: "T = 0.8, top-k 20, top-p 0.9", temperature: 0.8, topK: 20, topP: 0.9 },
  ]) {
    it(`reads p from filtered logits exactly as the full distribution (${truncation.name})`, async () => {
      const sampling = { ...truncation, seed: 7 };
      const d = await ModelSession.open(draftContext, promptTokens);
      const t = await ModelSession.open(targetContext, promptTokens);
      try {
        const draft = await d.draft(4, sampling);
        const scored = await t.score(draft.tokens, draft.q, sampling);
        // Later positions first: each fetch evaluates its cell again and drops what follows.
        for (let i = draft.tokens.length - 1; i >= 0; i--) {
          const full = await t.fullDistribution(t.position, i, sampling);
          // The two reads come from passes of different shapes (the window's, one token's), whose
          // logits llama.cpp computes differently in the last digits on some CPUs (1.8e-5 apart on
          // an AVX2-only EPYC); a wrong filter or normalization would be off by far more.
          for (const [token, p] of scored[i]!.known)
            assert.ok(
              Math.abs(p - (full.get(token) ?? 0)) < 1e-4,
              `position ${i}, token ${token}: ${p} vs ${full.get(token)}`,
            );
          let mass = 0;
          for (const p of full.values()) mass += p;
          assert.ok(Math.abs(mass - 1) < 1e-4);
        }
      } finally {
        await d.dispose();
        await t.dispose();
      }
    });

    it(`samples continuations distributed as the target alone, not as the drafter (${truncation.name})`, async (t) => {
      const sampling = (seed: number) => ({ ...truncation, seed });
      const targetOnly = await sample((seed) => alone(targetContext, sampling(seed)), 1_000_000);
      const drafterOnly = await sample((seed) => alone(draftContext, sampling(seed)), 2_000_000);
      // γ = 3 with the full report, and γ = 2 reporting only p's top token (forces the tail path).
      for (const [window, reportTop] of [
        [3, undefined],
        [2, 1],
      ] as const) {
        const speculativeSamples = await sample((seed) => speculative(sampling(seed), window, reportTop), 0);
        const same = chiSquareHomogeneity(speculativeSamples, targetOnly);
        const differs = chiSquareHomogeneity(speculativeSamples, drafterOnly);
        const label = `γ = ${window}${reportTop ? `, top ${reportTop}` : ""}`;
        t.diagnostic(
          `${label}: vs target-only p = ${same.pValue.toFixed(3)}, TV = ${totalVariation(speculativeSamples, targetOnly).toFixed(3)}; vs drafter-only p = ${differs.pValue.toExponential(1)}, TV = ${totalVariation(speculativeSamples, drafterOnly).toFixed(3)}`,
        );
        assert.ok(
          same.pValue > 0.001,
          `${label} vs target-only: χ² = ${same.statistic.toFixed(1)}, df = ${same.degreesOfFreedom}, p = ${same.pValue}`,
        );
        assert.ok(differs.pValue < 1e-6, `${label} vs drafter-only: p = ${differs.pValue}`);
        assert.ok(totalVariation(speculativeSamples, targetOnly) < totalVariation(speculativeSamples, drafterOnly));
      }
      // The drafter really is a different model: its own samples differ from the target's.
      assert.ok(chiSquareHomogeneity(drafterOnly, targetOnly).pValue < 1e-6);
    });
  }

  it("repeats a seeded continuation exactly, and different seeds differ", async () => {
    const sampling = (seed: number) => ({ temperature: 1, topK: 0, topP: 1, seed });
    const first = await speculative(sampling(42), 3);
    assert.deepEqual(await speculative(sampling(42), 3), first);
    const others = new Set<string>();
    for (let seed = 0; seed < 20; seed++) others.add((await speculative(sampling(seed), 3)).join(" "));
    assert.ok(others.size > 5, `only ${others.size} distinct continuations from 20 seeds`);
  });
});
