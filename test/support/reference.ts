import type { LlamaContext, LlamaModel, Token } from "node-llama-cpp";
import { completionText, createLlama, createSessionContext, loadModel, ModelSession, tokenizePrompt } from "#llama";

export interface ReferenceCompletion {
  tokens: number[];
  text: string;
  finishReason: "stop" | "length";
}

/**
 * The target decoding alone, per prompt, and what a speculative answer must equal (`for`). Keeps
 * what it needs to check an answer's departure: the model's path and the completions' bound.
 */
export class ReferenceCompletions extends Map<string, ReferenceCompletion> {
  constructor(
    readonly modelPath: string,
    readonly maxTokens: number,
  ) {
    super();
  }

  /**
   * The completion of `prompt` that `answer` (its token ids) must equal: the target decoding
   * alone, except where the target itself predicts otherwise in a pass of several tokens.
   *
   * llama.cpp computes a pass of several tokens and a pass of one differently, and on some CPUs
   * (an AVX2-only EPYC) that now and then changes which token wins, even at a clear margin: a verifier
   * checks drafts in passes of several tokens, the target alone decodes one token a pass after the
   * prompt (docs/benchmarks.md, bench:peer, "Greedy texts on this machine"). Where `answer`
   * departs from the target alone, the target evaluates the prompt and the answer up to there in
   * one pass; only when that predicts the answer's token, or ranks it a near tie with its best
   * (within NEAR_TIE: a batch of several sessions may flip those), does the reference take it, and
   * go on as the target alone from there (at most 4 times). Any other departure stays, for the
   * caller's assertion to show.
   */
  async for(prompt: string, answer: readonly number[]): Promise<ReferenceCompletion> {
    const reference = this.get(prompt);
    if (!reference) throw new Error(`no reference for ${JSON.stringify(prompt)}`);
    return followedReference(
      this.modelPath,
      (model) => tokenizePrompt(model, prompt),
      reference,
      answer,
      this.maxTokens,
    );
  }
}

/**
 * `reference` (the target alone after the prompt `promptTokensOf` makes), followed where `answer`
 * departs from it and the target itself predicts the answer's token in one pass over the prompt
 * and the answer up to there: `ReferenceCompletions.for`, for any prompt's tokens.
 */
export function followedReference(
  modelPath: string,
  promptTokensOf: (model: LlamaModel) => number[],
  reference: ReferenceCompletion,
  answer: readonly number[],
  maxTokens: number,
): Promise<ReferenceCompletion> {
  return followReference(() => TargetAlone.open(modelPath, promptTokensOf), reference, answer, maxTokens);
}

/**
 * Two tokens whose probabilities are this close (relative to the better one's) are a near tie:
 * llama.cpp's CPU decode is not batch-invariant (a verifier's batch of several sessions sums the
 * same logits in another order), so at a near tie either may win. A departure at a wider margin
 * is a defect.
 */
export const NEAR_TIE = 0.01;

/**
 * The target's probabilities for the token after `input`, all of it evaluated in one pass on a
 * free sequence of `context` (given back after): what a near tie is judged by.
 */
export async function nextProbabilities(context: LlamaContext, input: readonly number[]): Promise<Map<Token, number>> {
  const last = input.length - 1;
  const sequence = context.getSequence();
  try {
    const output = await sequence.controlledEvaluate(
      input.map((t, i) => (i === last ? [t as Token, { generateNext: { probabilities: true } }] : (t as Token))),
    );
    const probabilities = output[last]?.next?.probabilities;
    if (probabilities === undefined) throw new Error("no probabilities from the target");
    return probabilities;
  } finally {
    await sequence.dispose();
  }
}

/** What following an answer's departure asks of the target, after one prompt. */
export interface PromptedTarget {
  /** The target's greedy next token after the prompt and `tokens`, all evaluated in one pass. */
  predictInOnePass(tokens: readonly number[]): Promise<number>;
  /** Whether, in that one pass, `token` is within NEAR_TIE of the best token's probability. */
  nearTieInOnePass(tokens: readonly number[], token: number): Promise<boolean>;
  /** The target alone after the prompt, its first tokens being `forced` whatever it predicts. */
  complete(forced: readonly number[], maxTokens: number): Promise<ReferenceCompletion>;
  /** `tokens`, ended by the target's end of generation. */
  ended(tokens: readonly number[]): ReferenceCompletion;
  isEndOfGeneration(token: number): boolean;
  close(): Promise<void>;
}

/** At most this many departures are followed in one answer. */
export const MAX_FOLLOWED_DEPARTURES = 4;

/**
 * The departure rule of `followedReference`, against any target (`openTarget` is called only
 * when `answer` departs from `reference`).
 */
export async function followReference(
  openTarget: () => Promise<PromptedTarget>,
  reference: ReferenceCompletion,
  answer: readonly number[],
  maxTokens: number,
): Promise<ReferenceCompletion> {
  let target: PromptedTarget | null = null;
  try {
    for (let departures = 0; departures < MAX_FOLLOWED_DEPARTURES; departures++) {
      const at = departure(reference.tokens, answer);
      if (at === null) return reference;
      if (at >= maxTokens) return reference; // an answer longer than any completion may be
      target ??= await openTarget();
      const inOnePass = await target.predictInOnePass(answer.slice(0, at));
      if (at === answer.length) {
        // The answer ended here: followed only if the target ends the text here in one pass.
        const ends = target.isEndOfGeneration(inOnePass);
        return ends ? target.ended(answer) : reference;
      }
      const taken = answer[at]!;
      if (inOnePass !== taken && !(await target.nearTieInOnePass(answer.slice(0, at), taken))) return reference;
      reference = await target.complete(answer.slice(0, at + 1), maxTokens);
    }
    return reference;
  } finally {
    await target?.close();
  }
}

/** Where two token lists first differ (one ending early counts); null: they are equal. */
function departure(a: readonly number[], b: readonly number[]): number | null {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return i;
  return null;
}

/** The target in this process, after one prompt, for `ReferenceCompletions.for`. */
class TargetAlone implements PromptedTarget {
  private constructor(
    private readonly dispose: () => Promise<void>,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly promptTokens: number[],
  ) {}

  static async open(modelPath: string, promptTokensOf: (model: LlamaModel) => number[]): Promise<TargetAlone> {
    const llama = await createLlama(1);
    const { model } = await loadModel(llama, modelPath);
    const context = await createSessionContext(model, { sequences: 1, contextSize: 512, threads: 1 });
    return new TargetAlone(() => llama.dispose(), model, context, promptTokensOf(model));
  }

  async predictInOnePass(tokens: readonly number[]): Promise<number> {
    const session = await ModelSession.open(this.context, [...this.promptTokens, ...tokens]);
    try {
      return (await session.predict([]))[0]!;
    } finally {
      await session.dispose();
    }
  }

  async nearTieInOnePass(tokens: readonly number[], token: number): Promise<boolean> {
    const probabilities = await nextProbabilities(this.context, [...this.promptTokens, ...tokens]);
    const best = Math.max(...probabilities.values());
    return (best - (probabilities.get(token as Token) ?? 0)) / best < NEAR_TIE;
  }

  /** The prompt in one pass, then one token a pass: `forced` first, then the target's own greedy ones. */
  async complete(forced: readonly number[], maxTokens: number): Promise<ReferenceCompletion> {
    const session = await ModelSession.open(this.context, this.promptTokens);
    try {
      const tokens: number[] = [];
      let next = (await session.predict([]))[0]!;
      let finishReason: ReferenceCompletion["finishReason"] = "length";
      while (tokens.length < maxTokens) {
        const token = tokens.length < forced.length ? forced[tokens.length]! : next;
        if (tokens.length >= forced.length && this.isEndOfGeneration(token)) {
          finishReason = "stop";
          break;
        }
        tokens.push(token);
        await session.commit(session.position, [token]);
        if (tokens.length < maxTokens) next = (await session.predict([]))[0]!;
      }
      return { tokens, text: completionText(this.model, tokens, this.promptTokens), finishReason };
    } finally {
      await session.dispose();
    }
  }

  ended(tokens: readonly number[]): ReferenceCompletion {
    return { tokens: [...tokens], text: completionText(this.model, tokens, this.promptTokens), finishReason: "stop" };
  }

  isEndOfGeneration(token: number): boolean {
    return this.model.isEogToken(token as Token);
  }

  async close(): Promise<void> {
    await this.dispose();
  }
}

/**
 * The target model decoding alone, through node-llama-cpp's own evaluation loop at temperature
 * 0: what every speculative answer must equal, token for token (`ReferenceCompletions.for`). The
 * prompt is tokenized as the fleet tokenizes it (as llama.cpp's llama-server does:
 * `tokenizePrompt`), and generation stops at an end-of-generation token or after `maxTokens`.
 */
export async function referenceCompletions(
  modelPath: string,
  prompts: readonly string[],
  maxTokens: number,
): Promise<ReferenceCompletions> {
  const llama = await createLlama(1);
  try {
    const { model } = await loadModel(llama, modelPath);
    const context = await model.createContext({ contextSize: 512, threads: 1, sequences: 1 });
    const results = new ReferenceCompletions(modelPath, maxTokens);
    for (const prompt of prompts) {
      const sequence = context.getSequence();
      const promptTokens = tokenizePrompt(model, prompt);
      const tokens: number[] = [];
      let finishReason: ReferenceCompletion["finishReason"] = "length";
      for await (const token of sequence.evaluate(promptTokens as Token[], { temperature: 0 })) {
        if (model.isEogToken(token)) {
          finishReason = "stop";
          break;
        }
        tokens.push(token);
        if (tokens.length >= maxTokens) break;
      }
      // The completion's text as it reads after the prompt (a SentencePiece word's leading space kept).
      const text = completionText(model, tokens, promptTokens);
      results.set(prompt, { tokens, text, finishReason });
      void sequence.dispose();
      while (context.sequencesLeft === 0) await new Promise((r) => setTimeout(r, 5));
    }
    return results;
  } finally {
    await llama.dispose();
  }
}
