import { distributionFromWire, type PayloadOf, type Sampling, type VerifyRound } from "#contracts";
import { isGreedy, type Distribution } from "#speculation";

type VerifyRequest = PayloadOf<typeof VerifyRound>;

/**
 * What is wrong with a draft's tokens, or null. llama.cpp fails a whole batch on one bad id, so
 * a token outside the vocabulary is refused here, for its session only.
 */
export function draftProblem(draft: readonly number[], vocabularySize: number): string | null {
  const outside = draft.find((token) => token >= vocabularySize);
  if (outside === undefined) return null;
  return `draft token ${outside} is outside the vocabulary (${vocabularySize} tokens): a drafter with another tokenizer?`;
}

/** q for a sampled session's draft, checked; a message saying what is wrong otherwise. */
export function draftDistributions(
  sampling: Sampling,
  req: VerifyRequest,
  vocabularySize: number,
): Distribution[] | string {
  if (isGreedy(sampling)) return [];
  if (!req.q || req.q.length !== req.draft.length) {
    return `a sampled session needs the drafter's distribution q with each of the ${req.draft.length} draft tokens (got ${req.q?.length ?? 0})`;
  }
  const q = req.q.map(distributionFromWire);
  for (let i = 0; i < q.length; i++) {
    const token = req.draft[i]!;
    if (!((q[i]!.get(token) ?? 0) > 0))
      return `draft token ${token} at index ${i} has no probability in the q sent with it`;
    const outside = req.q[i]!.tokens.find((t) => t >= vocabularySize);
    if (outside !== undefined)
      return `q at index ${i} names token ${outside}, outside the vocabulary (${vocabularySize} tokens)`;
  }
  return q;
}
