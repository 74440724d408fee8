import { NativeSequence } from "./native-sequence.js";
import type { TargetSession } from "./target-session.js";

/**
 * One greedy session's sequence on a target run by the native runner, with ModelSession's
 * verifying contract: a pass evaluates the uncached committed tail and the draft in one decode
 * and returns the argmax after the last committed token and after each draft token.
 */
export class NativeTargetSession extends NativeSequence implements TargetSession {
  async predict(draft: readonly number[]): Promise<number[]> {
    this.ensureOpen("target session");
    const tail = this.ledger.uncachedTail();
    if (tail.length === 0) throw new Error("nothing to predict after: the cache holds the last committed token");
    const input = [...tail, ...draft];
    const predictions = await this.run(input, { window: 0, predictFrom: tail.length - 1 });
    this.ledger.evaluated(input);
    if (predictions.length !== draft.length + 1)
      throw new Error(`the native runner returned ${predictions.length} predictions for a window of ${draft.length}`);
    return predictions;
  }
}
