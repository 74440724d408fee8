import type { SequenceLedger } from "#speculation";

/**
 * A session's sequence on the target, as the verifier uses it for a greedy session: node-llama-cpp's
 * (ModelSession, which also scores sampled rounds) or the native runner's (NativeTargetSession).
 */
export interface TargetSession {
  readonly ledger: SequenceLedger;
  readonly position: number;
  isEndOfGeneration(token: number): boolean;
  /**
   * Evaluates the uncached committed tail followed by `draft` in one pass and returns the
   * target's γ+1 greedy predictions: after the last committed token and after each draft token.
   */
  predict(draft: readonly number[]): Promise<number[]>;
  /** Appends what the round committed at `position`; the cache keeps only what is a prefix of it. */
  commit(position: number, tokens: readonly number[]): Promise<void>;
  /** Frees the sequence; call only when no evaluation of it is pending. */
  dispose(): Promise<void>;
}
