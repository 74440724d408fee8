import { SequenceLedger } from "#speculation";
import type { NativeJobRunner } from "./native-jobs.js";
import type { TargetSession } from "./target-session.js";

/**
 * One greedy session's sequence on a target run by the native runner (native-model.ts), with
 * ModelSession's verifying contract: a pass evaluates the uncached committed tail and the draft
 * in one decode and returns the argmax after the last committed token and after each draft
 * token; a commit keeps in the cache what is a prefix of the committed sequence (the rest is
 * erased lazily, by the next pass).
 */
export class NativeTargetSession implements TargetSession {
  readonly ledger: SequenceLedger;
  private disposed = false;

  constructor(
    private readonly owner: NativeJobRunner,
    private readonly seq: number,
    committed: readonly number[],
    private readonly endOfGeneration: (token: number) => boolean,
  ) {
    // The sequence's cells are whatever its last user left: all erased by the first pass.
    this.ledger = new SequenceLedger(committed);
  }

  get position(): number {
    return this.ledger.position;
  }

  isEndOfGeneration(token: number): boolean {
    return this.endOfGeneration(token);
  }

  async predict(draft: readonly number[]): Promise<number[]> {
    if (this.disposed) throw new Error("the target session is disposed");
    const tail = this.ledger.uncachedTail();
    if (tail.length === 0) throw new Error("nothing to predict after: the cache holds the last committed token");
    const keep = this.ledger.cachedLength;
    const input = Uint32Array.from([...tail, ...draft]);
    const predictions = await this.owner.run({
      seq: this.seq,
      keep,
      tail: input,
      window: 0,
      predictFrom: tail.length - 1,
    });
    this.ledger.evaluated([...tail, ...draft]);
    if (predictions.length !== draft.length + 1)
      throw new Error(`the native runner returned ${predictions.length} predictions for a window of ${draft.length}`);
    return predictions;
  }

  async commit(position: number, tokens: readonly number[]): Promise<void> {
    this.ledger.commit(position, tokens);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.owner.release(this.seq);
  }
}
