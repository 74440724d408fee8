import { GREEDY, isGreedy, SequenceLedger, type SamplingParams } from "#speculation";
import type { NativeJobRunner } from "./native-jobs.js";
import type { DraftedWindow } from "./session.js";

/**
 * One session's draft sequence in the native runner (native-model.ts), with ModelSession's drafting contract: a draft
 * evaluates the uncached committed tail and every drafted token but the last; a commit keeps in
 * the cache what is a prefix of the committed sequence (erased lazily, by the next draft).
 */
export class NativeDraftSequence {
  private readonly ledger: SequenceLedger;
  private disposed = false;

  constructor(
    private readonly owner: NativeJobRunner,
    private readonly seq: number,
    committed: readonly number[],
  ) {
    // The sequence's cells are whatever its last user left: all erased by the first draft.
    this.ledger = new SequenceLedger(committed);
  }

  get position(): number {
    return this.ledger.position;
  }

  /** Drafts `window` greedy tokens after the committed sequence, or after `from` (not cached yet). */
  async draft(window: number, sampling: SamplingParams = GREEDY, from?: readonly number[]): Promise<DraftedWindow> {
    if (!isGreedy(sampling)) throw new Error("the native runner drafts greedily only");
    if (this.disposed) throw new Error("the draft sequence is disposed");
    if (window <= 0) return { tokens: [], q: [] };
    const tail = from ? [...from] : this.ledger.uncachedTail();
    if (tail.length === 0) throw new Error("nothing to draft after: the sequence holds its drafts already");
    const keep = this.ledger.cachedLength;
    const tokens = await this.owner.run({ seq: this.seq, keep, tail: Uint32Array.from(tail), window });
    this.ledger.evaluated([...tail, ...tokens.slice(0, -1)]);
    return { tokens, q: [] };
  }

  /** Appends what the verifier committed at `position` (the cache is trimmed by the next draft). */
  async commit(position: number, tokens: readonly number[]): Promise<void> {
    this.ledger.commit(position, tokens);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.owner.release(this.seq);
  }
}
