import { GREEDY, isGreedy, type SamplingParams } from "#speculation";
import type { DraftedWindow, DraftSequence } from "./draft-sequence.js";
import { NativeSequence } from "./native-sequence.js";

/**
 * One session's draft sequence in the native runner, with ModelSession's drafting contract: a
 * draft evaluates the uncached committed tail and every drafted token but the last.
 */
export class NativeDraftSequence extends NativeSequence implements DraftSequence {
  /** Drafts `window` greedy tokens after the committed sequence, or after `from` (not cached yet). */
  async draft(
    window: number,
    sampling: SamplingParams = GREEDY,
    from?: readonly number[],
    withQ = false,
  ): Promise<DraftedWindow> {
    if (!isGreedy(sampling) || withQ) throw new Error("the native runner drafts greedily only, without q");
    this.ensureOpen("draft sequence");
    if (window <= 0) return { tokens: [], q: [] };
    const tail = from ? [...from] : this.ledger.uncachedTail();
    if (tail.length === 0) throw new Error("nothing to draft after: the sequence holds its drafts already");
    const tokens = await this.run(tail, { window });
    this.ledger.evaluated([...tail, ...tokens.slice(0, -1)]);
    return { tokens, q: [] };
  }
}
