import type { ControlledEvaluateInputItem, LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { SequenceLedger, type EraseRange } from "#speculation";
import { ContextFullError } from "./runtime.js";

export interface DraftSampling {
  /** 0 = greedy. */
  temperature: number;
  seed: number;
}

type Flagged = [Token, { generateNext: { token: true; options?: { temperature: number; seed: number } } }];

/**
 * One session's KV cache on one worker: a context sequence and the ledger that mirrors it.
 * The verifier calls `predict` on tail + draft in one forward pass; the drafter calls `draft`.
 * Both call `commit` with what the verifier committed, which rolls the cache back past a
 * rejection (eraseContextTokenRanges) instead of re-evaluating anything.
 */
export class ModelSession {
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
    const input: ControlledEvaluateInputItem[] = tail.map((token, i) => (i === tail.length - 1 ? flag(token) : (token as Token)));
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
   * token is not evaluated (nothing needs its prediction until the verifier answers).
   */
  async draft(window: number, sampling: DraftSampling, from?: readonly number[]): Promise<number[]> {
    const drafted: number[] = [];
    // `from`: continue after tokens not in the cache yet (a pipelined draft goes on after the
    // last token of the window in flight); by default, after the committed sequence.
    let input = from ? [...from] : this.ledger.uncachedTail();
    for (let i = 0; i < window; i++) {
      const last = input.length - 1;
      const seed = sampling.seed * 1_000_003 + this.ledger.cachedLength;
      const items: ControlledEvaluateInputItem[] = input.map((token, j) =>
        j === last ? flag(token, { ...sampling, seed }) : (token as Token),
      );
      const output = await this.sequence.controlledEvaluate(items);
      this.ledger.evaluated(input);
      const token = output[last]?.next?.token;
      if (token == null) throw new Error("the draft model returned no token");
      drafted.push(token);
      if (this.model.isEogToken(token)) break;
      input = [token];
    }
    return drafted;
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

function flag(value: number, sampling?: DraftSampling): Flagged {
  const token = value as Token;
  if (!sampling || sampling.temperature === 0) return [token, { generateNext: { token: true } }];
  return [token, { generateNext: { token: true, options: { temperature: sampling.temperature, seed: sampling.seed } } }];
}
