import type { Distribution, SamplingParams, SequenceLedger } from "#speculation";

/** A drafted window: the tokens, and under sampling the drafter's distribution at each. */
export interface DraftedWindow {
  tokens: number[];
  /** q at each drafted position (empty when drafting greedily). */
  q: Distribution[];
}

/**
 * A session's sequence on a draft model, as a drafter uses it: node-llama-cpp's (ModelSession,
 * which also drafts by sampling with q) or the native runner's (NativeDraftSequence, greedy).
 */
export interface DraftSequence {
  readonly ledger: SequenceLedger;
  readonly position: number;
  isEndOfGeneration(token: number): boolean;
  /**
   * Drafts `window` tokens after the committed sequence, or after `from` (tokens not cached yet:
   * a pipelined draft goes on after the window in flight). The last token is not evaluated.
   */
  draft(window: number, sampling: SamplingParams, from?: readonly number[], withQ?: boolean): Promise<DraftedWindow>;
  /**
   * Appends what the verifier committed at `position`; the cache keeps what is a prefix of it,
   * and with `keepSpeculation` the window drafted after it too.
   */
  commit(position: number, tokens: readonly number[], keepSpeculation?: boolean): Promise<void>;
  /** Throws away a pipelined draft that will not be sent. */
  rollbackToCommitted(): Promise<void>;
  /** Frees the sequence; call only when no evaluation of it is pending. */
  dispose(): Promise<void>;
}
