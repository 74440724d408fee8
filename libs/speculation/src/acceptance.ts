/**
 * Greedy verification (temperature 0): accept the longest prefix of the draft that equals the
 * target's own argmax predictions, then append the target's prediction at the first mismatch
 * (the correction) or after the last draft token (the bonus). Leviathan et al. 2023, §2.3 with
 * a deterministic target; the committed tokens are exactly the target's greedy continuation.
 *
 * `predictions[i]` is the target's next token after the committed prefix extended by
 * `draft[0..i)`; so `predictions.length === draft.length + 1`.
 */
export interface GreedyVerdict {
  /** Draft tokens accepted (0..γ). */
  accepted: number;
  /** The tokens this round commits: `draft[0..accepted)` followed by one target token. */
  tokens: number[];
}

export function acceptGreedy(draft: readonly number[], predictions: readonly number[]): GreedyVerdict {
  if (predictions.length !== draft.length + 1) {
    throw new Error(
      `expected ${draft.length + 1} predictions for a window of ${draft.length}, got ${predictions.length}`,
    );
  }
  let accepted = 0;
  while (accepted < draft.length && draft[accepted] === predictions[accepted]) accepted++;
  return { accepted, tokens: [...draft.slice(0, accepted), predictions[accepted]!] };
}

/** Length of the common prefix of two token lists. */
export function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}
