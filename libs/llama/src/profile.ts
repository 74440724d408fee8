import type { LlamaContext } from "node-llama-cpp";
import { GREEDY, type SamplingParams } from "#speculation";
import type { DraftedWindow } from "./draft-sequence.js";
import { ModelSession } from "./session.js";
import type { TargetSession } from "./target-session.js";

/** Windows a verifier times itself at, at start-up. */
export const PROFILE_WINDOWS = [0, 1, 2, 4, 8] as const;

/**
 * A worker's own speeds, measured at start-up on its context (a few decodes, under a second
 * for a 140M-parameter model on one core): what the load-aware pairing predicts from.
 * Each measurement is the median of `repeats`, after one warm-up.
 */
export async function measureDraftSpeed(
  context: LlamaContext,
  startTokens: readonly number[],
  tokens = 8,
  repeats = 3,
): Promise<number> {
  return timeDrafting(() => openAfterPrompt(context, startTokens), tokens, repeats);
}

/** A drafting sequence whose start tokens are evaluated already. */
export interface DraftingAfterPrompt {
  draft(window: number, sampling: SamplingParams): Promise<DraftedWindow>;
  dispose(): Promise<void>;
}

/**
 * ms per greedy draft token: `tokens` drafted on a fresh sequence from `open` (its start tokens
 * evaluated beforehand, so the time is the drafting's alone), the median of `repeats` after one
 * warm-up. For node-llama-cpp's context (measureDraftSpeed) and the native runner alike.
 */
export async function timeDrafting(open: () => Promise<DraftingAfterPrompt>, tokens = 8, repeats = 3): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r <= repeats; r++) {
    const session = await open();
    try {
      const started = performance.now();
      const draft = await session.draft(tokens, GREEDY);
      if (r > 0) times.push((performance.now() - started) / Math.max(1, draft.tokens.length));
    } finally {
      await session.dispose();
    }
  }
  return median(times);
}

/**
 * ms of one verify pass of each window in `PROFILE_WINDOWS` (the prompt evaluated beforehand), on
 * a session `open` opens: the path the verifier's greedy sessions take.
 */
export async function measureVerifyCost(
  open: (committed: readonly number[]) => Promise<TargetSession>,
  startTokens: readonly number[],
  repeats = 3,
): Promise<Array<{ window: number; ms: number }>> {
  // The start tokens evaluated first, so the passes below hold the window only.
  const session = await afterPrompt(await open(startTokens));
  try {
    const filler = startTokens.at(-1)!;
    const result: Array<{ window: number; ms: number }> = [];
    for (const window of PROFILE_WINDOWS) {
      const times: number[] = [];
      for (let r = 0; r <= repeats; r++) {
        const position = session.position;
        const draft = Array.from({ length: window }, () => filler);
        const started = performance.now();
        const predictions = await session.predict(draft);
        if (r > 0) times.push(performance.now() - started);
        // Keep the session short: commit one token, which drops the window from the cache.
        await session.commit(position, [predictions[0]!]);
      }
      result.push({ window, ms: median(times) });
    }
    return result;
  } finally {
    await session.dispose();
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** A session with `prompt` evaluated and its first token committed: the next pass holds only what is added. */
export async function openAfterPrompt(context: LlamaContext, prompt: readonly number[]): Promise<ModelSession> {
  return afterPrompt(await ModelSession.open(context, prompt));
}

async function afterPrompt<S extends TargetSession>(session: S): Promise<S> {
  const start = session.position;
  const [first] = await session.predict([]);
  await session.commit(start, [first!]);
  return session;
}
