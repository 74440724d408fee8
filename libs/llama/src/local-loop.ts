import { cutCompletion, type SamplingParams } from "#speculation";
import type { DraftSequence } from "./draft-sequence.js";
import type { ModelSession } from "./session.js";
import type { TargetSession } from "./target-session.js";
import { verifyWindow } from "./verify.js";

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
 * `draftSampling` is how the drafter draws (by default as the request samples).
 */
export async function speculateInProcess(
  target: TargetSession,
  drafter: DraftSequence,
  options: {
    maxTokens: number;
    window: number;
    sampling: SamplingParams;
    draftSampling?: SamplingParams;
    reportTop?: number;
  },
): Promise<LocalLoopResult> {
  const tokens: number[] = [];
  let rounds = 0;
  let accepted = 0;
  let drafted = 0;
  for (;;) {
    const position = target.position;
    // As a drafter in the fleet does (drafter.service.ts): no draft past the completion's last
    // token, whose seeded draw is then the same bonus draw as in the fleet.
    const window = Math.min(options.window, Math.max(0, options.maxTokens - tokens.length - 1));
    const draft = await drafter.draft(window, options.draftSampling ?? options.sampling);
    const verdict = await verifyWindow(target, draft.tokens, draft.q, options.sampling, {
      reportTop: options.reportTop,
    });
    rounds++;
    drafted += draft.tokens.length;
    accepted += verdict.accepted;
    await target.commit(position, verdict.tokens);
    await drafter.commit(position, verdict.tokens);
    const cut = cutCompletion(verdict.tokens, tokens.length, options.maxTokens, (t) => target.isEndOfGeneration(t));
    tokens.push(...cut.emitted);
    if (cut.finishReason) return { tokens, finishReason: cut.finishReason, rounds, accepted, drafted };
  }
}

/** Decodes with the target alone, one seeded draw per position: the reference for sampling. */
export async function decodeAloneInProcess(
  target: ModelSession,
  options: { maxTokens: number; sampling: SamplingParams },
): Promise<number[]> {
  const tokens: number[] = [];
  for (;;) {
    const position = target.position;
    const verdict = await verifyWindow(target, [], [], options.sampling);
    await target.commit(position, verdict.tokens);
    const cut = cutCompletion(verdict.tokens, tokens.length, options.maxTokens, (t) => target.isEndOfGeneration(t));
    tokens.push(...cut.emitted);
    if (cut.finishReason) return tokens;
  }
}
