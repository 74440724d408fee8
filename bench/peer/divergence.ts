/**
 * Why a greedy text departed from the reference: the target's two most likely tokens where it
 * did. Decoding several sessions in one batch (and over KV cells laid out by what ran before)
 * sums the same logits in another order, so at a near tie, two best tokens within a few parts in
 * ten thousand, the argmax may flip: llama.cpp's CPU decode is not batch-invariant. A departure
 * at a clear margin would be a defect.
 */
import { createLlama, createSessionContext, loadModel, ModelSession, tokenizePrompt } from "#llama";
import type { LlamaContext, LlamaModel, Token } from "node-llama-cpp";
import { NEAR_TIE, nextProbabilities } from "../../test/support/reference.js";

/** The target's two best tokens at the step that produced character `at` of the reference. */
export interface TieReport {
  /** The generated token's index at which the texts part. */
  step: number;
  best: RankedToken;
  second: RankedToken;
}

export interface RankedToken {
  token: number;
  text: string;
  probability: number;
}

/** Margins under this (relative to the best token's probability) are near ties: the tests' rule. */
export { NEAR_TIE };

export class DivergenceProbe {
  private constructor(
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
  ) {}

  static async open(targetPath: string): Promise<DivergenceProbe> {
    const llama = await createLlama(1);
    const { model } = await loadModel(llama, targetPath);
    return new DivergenceProbe(
      model,
      await createSessionContext(model, { sequences: 2, contextSize: 1024, threads: 1 }),
    );
  }

  /** Decodes `prompt` alone, greedily, to the step whose text covers character `at`; null past `maxTokens`. */
  async margin(prompt: string, at: number, maxTokens: number): Promise<TieReport | null> {
    const promptTokens = tokenizePrompt(this.model, prompt);
    const session = await ModelSession.open(this.context, promptTokens);
    const generated: number[] = [];
    try {
      // The answer's text as the servers give it: detokenized after the prompt (a first token's
      // leading space is kept), so that `at` counts the same characters.
      const textOf = (tokens: readonly number[]) =>
        this.model.detokenize(tokens as Token[], false, promptTokens as Token[]).length;
      for (let step = 0; step < maxTokens; step++) {
        const [token] = await session.predict([]);
        generated.push(token!);
        await session.commit(session.position, [token!]);
        if (textOf(generated) > at) return await this.topTwo([...promptTokens, ...generated.slice(0, -1)], step);
      }
      return null;
    } finally {
      await session.dispose();
    }
  }

  async close(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
  }

  private async topTwo(input: readonly number[], step: number): Promise<TieReport> {
    const probabilities = await nextProbabilities(this.context, input);
    const [first, second] = [...probabilities.entries()].sort((a, b) => b[1] - a[1]);
    const describe = ([token, probability]: [Token, number]): RankedToken => ({
      token,
      text: this.model.detokenize([token]),
      probability,
    });
    return { step, best: describe(first!), second: describe(second!) };
  }
}

/** "a near tie: ' n' 0.4955 vs 'n' 0.4952" or "NOT a near tie: …". */
export function describeTie(tie: TieReport | null): string {
  if (tie === null) return "the target alone does not reach that character";
  const gap = (tie.best.probability - tie.second.probability) / tie.best.probability;
  const ranked = (t: RankedToken) => `${t.token} ${JSON.stringify(t.text)} p=${t.probability.toFixed(4)}`;
  const pair = `at token ${tie.step + 1}, ${ranked(tie.best)} vs ${ranked(tie.second)}`;
  return gap < NEAR_TIE
    ? `a near tie (batch order, not a defect): ${pair}`
    : `NOT a near tie (${(gap * 100).toFixed(1)}% apart; a defect): ${pair}`;
}
