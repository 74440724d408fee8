import type {
  ControlledEvaluateInputItem,
  LlamaContext,
  LlamaContextSequence,
  LlamaModel,
  Token,
} from "node-llama-cpp";
import {
  Draw,
  isGreedy,
  seedFor,
  SequenceLedger,
  type Distribution,
  type EraseRange,
  type SamplingParams,
  type TargetPosition,
} from "#speculation";
import { ContextFullError } from "./runtime.js";
import type { DraftedWindow, DraftSequence } from "./draft-sequence.js";
import type { TargetSession } from "./target-session.js";

/**
 * The drafter samples from at most this many tokens (its top-k is capped here), and sends them
 * with their probabilities: the verifier needs q over its whole support for the residual.
 * Speculative sampling is exact for any q, so the cap costs acceptance, never correctness.
 */
export const DRAFT_SUPPORT_LIMIT = 64;

/** The target reports p for this many of its top tokens besides the drafter's support. */
export const TARGET_REPORT_TOP = 64;

type GenerateNext = NonNullable<Extract<ControlledEvaluateInputItem, unknown[]>[1]["generateNext"]>;
type SamplerOptions = NonNullable<GenerateNext["options"]>;

/** llama.cpp's sampler options for a draw at `position`; every option explicit (its defaults truncate). */
function samplerOptions(sampling: SamplingParams, seed: number): SamplerOptions {
  return { temperature: sampling.temperature, topK: sampling.topK, topP: sampling.topP, minP: 0, seed };
}

/**
 * llama.cpp's sampler options for the drafter's draw at `position` when it sends q: the request's
 * chain with top-k capped at DRAFT_SUPPORT_LIMIT, seeded by the position. The verifier's audit
 * (`DraftReplay`) recomputes q with exactly these.
 */
export function draftSamplerOptions(sampling: SamplingParams, position: number): SamplerOptions {
  const topK = sampling.topK > 0 ? Math.min(sampling.topK, DRAFT_SUPPORT_LIMIT) : DRAFT_SUPPORT_LIMIT;
  return samplerOptions({ ...sampling, topK }, seedFor(sampling.seed, position, Draw.draft));
}

/**
 * One session's KV cache on one worker: a context sequence and the ledger that mirrors it.
 * The verifier calls `predict` on tail + draft in one forward pass; the drafter calls `draft`.
 * Both call `commit` with what the verifier committed, which rolls the cache back past a
 * rejection (eraseContextTokenRanges) instead of re-evaluating anything.
 */
export class ModelSession implements TargetSession, DraftSequence {
  private constructor(
    private readonly sequence: LlamaContextSequence,
    readonly ledger: SequenceLedger,
    private readonly model: LlamaModel,
  ) {}

  /** Takes a free sequence of the context; a just-disposed one is reclaimed asynchronously. */
  static async open(context: LlamaContext, committed: readonly number[], waitMs = 2000): Promise<ModelSession> {
    const deadline = Date.now() + waitMs;
    while (context.sequencesLeft === 0) {
      if (Date.now() > deadline) throw new Error("no free sequence in the context");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const sequence = context.getSequence({
      contextShift: {
        strategy: () => {
          throw new ContextFullError();
        },
      },
    });
    return new ModelSession(sequence, new SequenceLedger(committed), context.model);
  }

  get position(): number {
    return this.ledger.position;
  }

  isEndOfGeneration(token: number): boolean {
    return this.model.isEogToken(token as Token);
  }

  /**
   * Evaluates the uncached committed tail followed by `draft` in one decode and returns the
   * target's γ+1 next-token predictions: after the last committed token and after each draft
   * token (greedy argmax).
   */
  async predict(draft: readonly number[]): Promise<number[]> {
    const tail = this.ledger.uncachedTail();
    const input: ControlledEvaluateInputItem[] = tail.map((token, i) =>
      i === tail.length - 1 ? flag(token) : (token as Token),
    );
    for (const token of draft) input.push(flag(token));
    const output = await this.sequence.controlledEvaluate(input);
    this.ledger.evaluated([...tail, ...draft]);
    const predictions: number[] = [];
    for (let i = tail.length - 1; i < input.length; i++) {
      const token = output[i]?.next?.token;
      if (token == null) throw new Error(`no prediction at input index ${i}`);
      predictions.push(token);
    }
    return predictions;
  }

  /**
   * Drafts `window` tokens after the committed sequence, one decode per token. The last draft
   * token is not evaluated (nothing needs its prediction until the verifier answers). Sampled
   * drafts come with q, the drafter's truncated distribution each token was drawn from; the
   * draw at each position is seeded by the position, so a draft depends on the request only.
   * `withQ` false: sample without collecting q (a greedy request's drafter that samples anyway).
   */
  async draft(
    window: number,
    sampling: SamplingParams,
    from?: readonly number[],
    withQ = !isGreedy(sampling),
  ): Promise<DraftedWindow> {
    const drafted: DraftedWindow = { tokens: [], q: [] };
    const greedy = isGreedy(sampling);
    // `from`: continue after tokens not in the cache yet (a pipelined draft goes on after the
    // last token of the window in flight); by default, after the committed sequence.
    let input = from ? [...from] : this.ledger.uncachedTail();
    for (let i = 0; i < window; i++) {
      const last = input.length - 1;
      const position = this.ledger.cachedLength + input.length;
      const next: GenerateNext = greedy
        ? { token: true }
        : withQ
          ? {
              token: true,
              probabilities: true,
              options: draftSamplerOptions(sampling, position),
            }
          : { token: true, options: samplerOptions(sampling, seedFor(sampling.seed, position, Draw.draft)) };
      const items: ControlledEvaluateInputItem[] = input.map((token, j) =>
        j === last ? [token as Token, { generateNext: next }] : (token as Token),
      );
      const output = await this.sequence.controlledEvaluate(items);
      this.ledger.evaluated(input);
      const result = output[last]?.next;
      const token = result?.token;
      if (token == null) throw new Error("the draft model returned no token");
      drafted.tokens.push(token);
      if (withQ) drafted.q.push(result?.probabilities ?? new Map());
      if (this.model.isEogToken(token)) break;
      input = [token];
    }
    return drafted;
  }

  /**
   * The target's side of a sampled round, in one decode: at each of the γ + 1 positions, p for
   * the tokens of the drafter's support and p's top tokens (from the filtered logits and their
   * total weight: no full-vocabulary map), and the target's own seeded draw.
   */
  async score(
    draft: readonly number[],
    q: readonly Distribution[],
    sampling: SamplingParams,
    reportTop = TARGET_REPORT_TOP,
  ): Promise<TargetPosition[]> {
    const position = this.ledger.position;
    const tail = this.ledger.uncachedTail();
    const inputs = [...tail, ...draft];
    const first = tail.length - 1;
    const input: ControlledEvaluateInputItem[] = inputs.map((token, index) => {
      if (index < first) return token as Token;
      const i = index - first;
      const options = samplerOptions(sampling, seedFor(sampling.seed, position + i, Draw.target));
      if (i === draft.length) return [token as Token, { generateNext: { token: true, options } }];
      const support = [...(q[i]?.keys() ?? [])] as Token[];
      return [
        token as Token,
        {
          generateNext: {
            token: true,
            options,
            logits: { filter: { tokens: support, includeTop: reportTop } },
            totalLogitWeight: true,
          },
        },
      ];
    });
    const output = await this.sequence.controlledEvaluate(input);
    this.ledger.evaluated(inputs);
    const positions: TargetPosition[] = [];
    for (let i = 0; i <= draft.length; i++) {
      const next = output[first + i]?.next;
      if (next?.token == null) throw new Error(`no target draw at position ${position + i}`);
      const known = new Map<number, number>();
      if (i < draft.length) {
        const logits = next.logits ?? new Map<Token, number>();
        const weight = next.totalLogitWeight ?? 0;
        let max = Number.NEGATIVE_INFINITY;
        for (const logit of logits.values()) max = Math.max(max, logit);
        for (const [token, logit] of logits) known.set(token, weight > 0 ? Math.exp(logit - max) / weight : 0);
        // A support token missing from the report was cut by the target's truncation: p = 0.
        for (const token of q[i]?.keys() ?? []) if (!known.has(token)) known.set(token, 0);
      }
      positions.push({ known, sample: next.token });
    }
    return positions;
  }

  /**
   * The target's full (truncated) distribution at `position + index`, where `position` is the
   * round's start and the cache still holds its window: cell `position - 1 + index` is evaluated
   * again with everything after it dropped. Rare: only a residual draw that fell outside what
   * `score` reported needs it.
   */
  async fullDistribution(position: number, index: number, sampling: SamplingParams): Promise<Distribution> {
    const cell = position - 1 + index;
    const token = this.ledger.cachedToken(cell);
    const range = this.ledger.truncate(cell);
    if (range) await this.sequence.eraseContextTokenRanges([range]);
    const options = samplerOptions(sampling, seedFor(sampling.seed, position + index, Draw.target));
    const output = await this.sequence.controlledEvaluate([
      [token as Token, { generateNext: { probabilities: true, options } }],
    ]);
    this.ledger.evaluated([token]);
    const probabilities = output[0]?.next?.probabilities;
    if (!probabilities) throw new Error(`no distribution at position ${position + index}`);
    return probabilities;
  }

  /**
   * Appends what the verifier committed at `position` and rolls the cache back to match. A
   * failure here leaves the session unusable: callers end it rather than continue.
   */
  async commit(position: number, tokens: readonly number[], keepSpeculation = false): Promise<void> {
    await this.erase(this.ledger.commit(position, tokens, { keepSpeculation }));
  }

  /** Throws away a pipelined draft that will not be sent. */
  async rollbackToCommitted(): Promise<void> {
    await this.erase(this.ledger.rollbackToCommitted());
  }

  private async erase(range: EraseRange | null): Promise<void> {
    if (range) await this.sequence.eraseContextTokenRanges([range]);
    if (this.sequence.nextTokenIndex !== this.ledger.cachedLength) {
      throw new Error(`cache holds ${this.sequence.nextTokenIndex} tokens, ledger expects ${this.ledger.cachedLength}`);
    }
  }

  /** Frees the sequence; call only when no evaluation of it is pending. */
  async dispose(): Promise<void> {
    await this.sequence.dispose();
  }
}

function flag(value: number): ControlledEvaluateInputItem {
  return [value as Token, { generateNext: { token: true } }];
}
