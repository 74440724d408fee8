import { commonPrefixLength } from "./acceptance.js";

/** A range of KV-cache cells to erase, `[start, end)`. */
export interface EraseRange {
  start: number;
  end: number;
}

/**
 * Position bookkeeping for one session on one worker: the committed token sequence and a
 * mirror of what the model's KV cache holds (a committed prefix, possibly followed by
 * speculative tokens). The last committed token is never cached: it is fed with the next
 * evaluation so that its prediction comes out of that same forward pass.
 */
export class SequenceLedger {
  private readonly committed: number[];
  private readonly cache: number[] = [];

  constructor(initial: readonly number[]) {
    if (initial.length === 0) throw new Error("a session starts with at least one token");
    this.committed = [...initial];
  }

  /** Number of committed tokens; the position the next round starts at. */
  get position(): number {
    return this.committed.length;
  }

  get cachedLength(): number {
    return this.cache.length;
  }

  committedTokens(from = 0): number[] {
    return this.committed.slice(from);
  }

  /** Committed tokens not yet in the cache; never empty. */
  uncachedTail(): number[] {
    return this.committed.slice(this.cache.length);
  }

  /** Records tokens the model has just evaluated (appended to its cache). */
  evaluated(tokens: readonly number[]): void {
    this.cache.push(...tokens);
  }

  /**
   * Appends `tokens` to the committed sequence at `position` and keeps in the cache only what
   * is a prefix of it (minus the last token). Returns the cache range the model must erase.
   */
  commit(position: number, tokens: readonly number[], options: { keepSpeculation?: boolean } = {}): EraseRange | null {
    if (position !== this.committed.length) {
      throw new Error(`commit at ${position} but the session is at ${this.committed.length}`);
    }
    this.committed.push(...tokens);
    const common = commonPrefixLength(this.cache, this.committed);
    // Pipelined drafting: when the cache holds the whole committed sequence and goes on with
    // the next window already drafted, that window stays (its first token's prediction is known).
    const keep =
      options.keepSpeculation && common === this.committed.length
        ? this.cache.length
        : Math.min(common, this.committed.length - 1);
    return this.truncate(keep);
  }

  /** Drops speculative tokens: back to the committed sequence minus its last token. */
  rollbackToCommitted(): EraseRange | null {
    return this.truncate(Math.min(this.cache.length, this.committed.length - 1));
  }

  /** The token in cache cell `index`. */
  cachedToken(index: number): number {
    const token = this.cache[index];
    if (token === undefined) throw new Error(`cache cell ${index} is empty (the cache holds ${this.cache.length})`);
    return token;
  }

  /** Keeps the first `keep` cache cells (to evaluate cell `keep` again); returns what to erase. */
  truncate(keep: number): EraseRange | null {
    const end = this.cache.length;
    this.cache.length = keep;
    return keep < end ? { start: keep, end } : null;
  }
}
