import type { LlamaContext } from "node-llama-cpp";
import { ModelSession, speculateInProcess, tokenizePrompt, type LoadedModel } from "#llama";
import { GREEDY, type SamplingParams } from "#speculation";
import { cutCompletion } from "#speculation";

export interface DecodeRun {
  tokens: number[][];
  ms: number;
  generated: number;
  drafted: number;
  accepted: number;
}

/** Greedy decoding by the target alone, one forward pass per token (γ = 0 rounds). */
export async function decodeAlone(
  target: LoadedModel,
  context: LlamaContext,
  prompts: string[],
  maxTokens: number,
): Promise<DecodeRun> {
  const run: DecodeRun = { tokens: [], ms: 0, generated: 0, drafted: 0, accepted: 0 };
  for (const prompt of prompts) {
    const session = await ModelSession.open(context, tokenizePrompt(target.model, prompt));
    const out: number[] = [];
    const started = performance.now();
    for (;;) {
      const position = session.position;
      const [next] = await session.predict([]);
      await session.commit(position, [next!]);
      const cut = cutCompletion([next!], out.length, maxTokens, (t) => session.isEndOfGeneration(t));
      out.push(...cut.emitted);
      if (cut.finishReason) break;
    }
    run.ms += performance.now() - started;
    run.tokens.push(out);
    run.generated += out.length;
    await session.dispose();
  }
  return run;
}

/** Speculative decoding with both models in this process (greedy unless `sampling` says otherwise). */
export async function decodeSpeculatively(
  target: { model: LoadedModel; context: LlamaContext },
  drafter: { context: LlamaContext },
  prompts: string[],
  maxTokens: number,
  window: number,
  sampling: SamplingParams = GREEDY,
): Promise<DecodeRun> {
  const run: DecodeRun = { tokens: [], ms: 0, generated: 0, drafted: 0, accepted: 0 };
  for (const [i, prompt] of prompts.entries()) {
    const promptTokens = tokenizePrompt(target.model.model, prompt);
    const t = await ModelSession.open(target.context, promptTokens);
    const d = await ModelSession.open(drafter.context, promptTokens);
    const started = performance.now();
    const result = await speculateInProcess(t, d, {
      maxTokens,
      window,
      sampling: { ...sampling, seed: sampling.seed + i },
    });
    run.ms += performance.now() - started;
    run.tokens.push(result.tokens);
    run.generated += result.tokens.length;
    run.drafted += result.drafted;
    run.accepted += result.accepted;
    await t.dispose();
    await d.dispose();
  }
  return run;
}

/** The drafter's own speed: ms per drafted token, drafting `window` at a time after each prompt. */
export async function draftSpeed(
  drafter: LoadedModel,
  context: LlamaContext,
  prompts: string[],
  window: number,
  rounds: number,
): Promise<number> {
  let ms = 0;
  let tokens = 0;
  for (const prompt of prompts) {
    const session = await ModelSession.open(context, tokenizePrompt(drafter.model, prompt));
    const position = session.position;
    const first = await session.draft(1, GREEDY);
    await session.commit(position, first.tokens);
    for (let r = 0; r < rounds; r++) {
      const at = session.position;
      const started = performance.now();
      const { tokens: draft } = await session.draft(window, GREEDY);
      ms += performance.now() - started;
      tokens += draft.length;
      await session.commit(at, draft.slice(0, 1)); // advance one token, as after a rejection
    }
    await session.dispose();
  }
  return ms / tokens;
}
