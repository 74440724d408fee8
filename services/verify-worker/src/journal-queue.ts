/**
 * A session's journal writes, one after another in the order they were queued, off the round's
 * path: the next round is verified while a round's tokens are written. Once a write did not land
 * (`stop()`), nothing queued after it is written: a later entry must never be journalled, or
 * published, after a gap.
 */
export class JournalQueue {
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;
  private halted = false;

  /** Writes queued and not yet settled. */
  get pending(): number {
    return this.queued;
  }

  /** Whether a write did not land: later ones are skipped. */
  get stopped(): boolean {
    return this.halted;
  }

  /** Runs `write` once every write queued before it has settled; skipped once stopped. It handles its own errors. */
  enqueue(write: () => Promise<void>): void {
    this.queued++;
    this.tail = this.tail
      .then(() => (this.halted ? undefined : write()))
      .catch(() => undefined)
      .finally(() => {
        this.queued--;
      });
  }

  stop(): void {
    this.halted = true;
  }

  /** Settles once every write queued so far has. */
  settled(): Promise<void> {
    return this.tail;
  }
}
