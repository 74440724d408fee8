import {
  acceptGreedy,
  Draw,
  drawOutside,
  isGreedy,
  uniformFor,
  verifySampled,
  type Distribution,
  type SamplingParams,
} from "#speculation";
import { ModelSession } from "./session.js";
import type { TargetSession } from "./target-session.js";

export interface RoundVerdict {
  /** Draft tokens accepted (0..γ). */
  accepted: number;
  /** What the round commits: the accepted drafts and one target token. */
  tokens: number[];
}

/** Runs a forward pass; the verifier passes its batcher so concurrent rounds share a decode. */
export type PassRunner = <T>(pass: () => Promise<T>) => Promise<T>;
const runNow: PassRunner = (pass) => pass();

/**
 * Verifies a window on the target: greedy (the target's argmax, `acceptGreedy`; on either kind of
 * TargetSession) or sampled (speculative sampling, `verifySampled`, with `q` the drafter's
 * distribution at each draft; on a ModelSession).
 * Leaves the cache holding the window: the caller commits the verdict, which rolls it back.
 */
export async function verifyWindow(
  target: TargetSession,
  draft: readonly number[],
  q: readonly Distribution[],
  sampling: SamplingParams,
  options: { run?: PassRunner; reportTop?: number } = {},
): Promise<RoundVerdict> {
  const run = options.run ?? runNow;
  if (isGreedy(sampling)) return acceptGreedy(draft, await run(() => target.predict(draft)));
  // A sampled session is opened on node-llama-cpp's context (session-opener.ts): it scores.
  if (!(target instanceof ModelSession)) throw new Error("a sampled round needs the target's node-llama-cpp session");
  const position = target.position;
  const targets = await run(() => target.score(draft, q, sampling, options.reportTop));
  const verdict = verifySampled(
    draft.map((token, i) => ({ token, q: q[i] ?? new Map<number, number>() })),
    targets,
    sampling.seed,
    position,
  );
  if (verdict.needsTail) {
    const at = verdict.accepted;
    const full = await target.fullDistribution(position, at, sampling);
    verdict.tokens.push(drawOutside(full, targets[at]!.known, uniformFor(sampling.seed, position + at, Draw.tail)));
  }
  return { accepted: verdict.accepted, tokens: verdict.tokens };
}
