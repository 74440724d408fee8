import type { ControlledEvaluateInputItem, LlamaContext, LlamaContextSequence, Token } from "node-llama-cpp";
import type { Distribution, SamplingParams } from "#speculation";
import { draftSamplerOptions } from "./session.js";

/** What the drafter's model says at each drafted position of a round. */
export interface ReplayedDraft {
  /** q at each drafted position, as the drafter computes it (truncated, renormalised). */
  q: Distribution[];
  /** The model's own seeded draw at each position (the drafter's seed for it). */
  drawn: number[];
}

/**
 * Recomputes a drafter's q for a round it sent: the drafter's model (loaded by the verifier for
 * auditing) evaluates the round's context and drafted tokens with the drafter's own sampler
 * options (`draftSamplerOptions`). One sequence is reused: the prefix it already holds is kept,
 * so auditing consecutive rounds of a session evaluates only what is new.
 */
export class DraftReplay {
  private sequence: LlamaContextSequence | null = null;
  private cached: number[] = [];

  constructor(private readonly context: LlamaContext) {}

  /** q at positions `committed.length + i` for each drafted token i, with the drafted tokens before it as context. */
  async replay(
    committed: readonly number[],
    draft: readonly number[],
    sampling: SamplingParams,
  ): Promise<ReplayedDraft> {
    if (committed.length === 0) throw new Error("a round's context has at least one token");
    if (committed.length + draft.length > this.context.contextSize)
      throw new Error(
        `the round needs ${committed.length + draft.length} tokens; the audit context holds ${this.context.contextSize}`,
      );
    this.sequence ??= this.context.getSequence();
    const inputs = [...committed, ...draft.slice(0, -1)];
    // Keep the common prefix, but evaluate again from the last committed token: its output is needed.
    let keep = 0;
    const limit = Math.min(this.cached.length, committed.length - 1);
    while (keep < limit && this.cached[keep] === inputs[keep]) keep++;
    if (keep < this.cached.length)
      await this.sequence.eraseContextTokenRanges([{ start: keep, end: this.cached.length }]);
    this.cached.length = keep;
    const first = committed.length - 1;
    const items: ControlledEvaluateInputItem[] = inputs.slice(keep).map((token, j) => {
      const index = keep + j;
      if (index < first) return token as Token;
      const options = draftSamplerOptions(sampling, index + 1);
      return [token as Token, { generateNext: { token: true, probabilities: true, options } }];
    });
    const output = await this.sequence.controlledEvaluate(items);
    this.cached.push(...inputs.slice(keep));
    const replayed: ReplayedDraft = { q: [], drawn: [] };
    for (let i = 0; i < draft.length; i++) {
      const next = output[first + i - keep]?.next;
      if (next?.token == null || !next.probabilities) throw new Error(`no distribution at draft index ${i}`);
      replayed.q.push(next.probabilities);
      replayed.drawn.push(next.token);
    }
    return replayed;
  }

  async dispose(): Promise<void> {
    await this.sequence?.dispose();
    this.sequence = null;
    this.cached = [];
  }
}
