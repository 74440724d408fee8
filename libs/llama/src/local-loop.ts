import { acceptGreedy, cutCompletion } from "#speculation";
import type { DraftSampling, ModelSession } from "./session.js";

export interface LocalLoopResult {
  tokens: number[];
  finishReason: "stop" | "length";
  rounds: number;
  accepted: number;
  drafted: number;
}

/**
 * The speculative round with drafter and verifier in one process and no network: the
 * baseline the fleet is measured against (bench/round), and a reference for tests.
 */
export async function speculateInProcess(
  target: ModelSession,
  drafter: ModelSession,
  options: { maxTokens: number; window: number; sampling: DraftSampling },
): Promise<LocalLoopResult> {
  const tokens: number[] = [];
  let rounds = 0;
  let accepted = 0;
  let drafted = 0;
  for (;;) {
    const position = target.position;
    const draft = await drafter.draft(options.window, options.sampling);
    const verdict = acceptGreedy(draft, await target.predict(draft));
    rounds++;
    drafted += draft.length;
    accepted += verdict.accepted;
    await target.commit(position, verdict.tokens);
    await drafter.commit(position, verdict.tokens);
    const cut = cutCompletion(verdict.tokens, tokens.length, options.maxTokens, (t) => target.isEndOfGeneration(t));
    tokens.push(...cut.emitted);
    if (cut.finishReason) return { tokens, finishReason: cut.finishReason, rounds, accepted, drafted };
  }
}
