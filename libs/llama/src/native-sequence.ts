import { SequenceLedger } from "#speculation";
import type { NativeJob, NativeJobRunner } from "./native-jobs.js";

/**
 * One session's sequence in the native runner (native-model.ts) and the ledger that mirrors it.
 * A commit keeps in the cache what is a prefix of the committed sequence; the rest is erased
 * lazily, by the sequence's next job (its `keep`). Disposing gives the sequence back.
 */
export abstract class NativeSequence {
  readonly ledger: SequenceLedger;
  private disposed = false;

  constructor(
    private readonly owner: NativeJobRunner,
    private readonly seq: number,
    committed: readonly number[],
    private readonly endOfGeneration: (token: number) => boolean,
  ) {
    // The sequence's cells are whatever its last user left: all erased by its first job.
    this.ledger = new SequenceLedger(committed);
  }

  get position(): number {
    return this.ledger.position;
  }

  isEndOfGeneration(token: number): boolean {
    return this.endOfGeneration(token);
  }

  /**
   * Appends what the verifier committed at `position` (the cache is trimmed by the next job);
   * `keepSpeculation`: a window drafted after it stays when the commit matches it (pipelining).
   */
  async commit(position: number, tokens: readonly number[], keepSpeculation = false): Promise<void> {
    this.ledger.commit(position, tokens, { keepSpeculation });
  }

  /** Throws away a pipelined draft that will not be sent (erased by the next job). */
  async rollbackToCommitted(): Promise<void> {
    this.ledger.rollbackToCommitted();
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.owner.release(this.seq);
  }

  /** Throws when the sequence was disposed (`what` names it). */
  protected ensureOpen(what: string): void {
    if (this.disposed) throw new Error(`the ${what} is disposed`);
  }

  /** Runs a job after the cached part of the sequence, `tail` first. */
  protected run(tail: readonly number[], job: Pick<NativeJob, "window" | "predictFrom">): Promise<number[]> {
    return this.owner.run({ seq: this.seq, keep: this.ledger.cachedLength, tail: Uint32Array.from(tail), ...job });
  }
}
