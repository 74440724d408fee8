/**
 * Where a completion stops: at the first end-of-generation token (not emitted, finish "stop")
 * or when `maxTokens` tokens have been generated (finish "length"), whichever comes first.
 * Applied to the tokens one round commits, so a long accepted window never overshoots.
 */
export interface CompletionCut {
  /** Tokens of the round that belong to the output. */
  emitted: number[];
  finishReason: "stop" | "length" | null;
}

export function cutCompletion(
  roundTokens: readonly number[],
  generatedSoFar: number,
  maxTokens: number,
  isEndOfGeneration: (token: number) => boolean,
): CompletionCut {
  const room = Math.max(0, maxTokens - generatedSoFar);
  const emitted: number[] = [];
  for (const token of roundTokens) {
    if (emitted.length === room) break;
    if (isEndOfGeneration(token)) return { emitted, finishReason: "stop" };
    emitted.push(token);
  }
  return { emitted, finishReason: generatedSoFar + emitted.length >= maxTokens ? "length" : null };
}
