import type { LlamaContext } from "node-llama-cpp";
import {
  createLlama,
  createSessionContext,
  loadModel,
  measureDraftSpeed,
  ModelSession,
  openAfterPrompt,
  tokenizePrompt,
} from "#llama";

/** Decode sizes a verifier is timed at: one forward pass of n tokens (γ + 1 for γ = 0, 1, 2, 4, 8, 16, 32). */
export const VERIFY_SIZES = [1, 2, 3, 5, 9, 17, 33] as const;

/** Tokens a drafter drafts per timed window. */
const DRAFT_TOKENS = 8;

/**
 * Per-round overhead when `--round-overhead-ms` is not given: 0, the device's compute only. A
 * fleet's own per-round cost (messages, the journal) is a property of the deployment, not of
 * the device: `npm run bench:sim-validate` measures it on a real fleet and puts it here.
 */
export const DEFAULT_ROUND_OVERHEAD_MS = 0;

/** A ~64-token prompt (the tiny model's tokenizer: ~1 token per short word). */
const PROMPT =
  "Once upon a time there was a little girl named Lily. She loved to play in the park with her dog Max. " +
  "One day the sun was bright and the birds were singing. Lily and Max ran to the big tree by the pond";

export interface VerifierMeasurement {
  verifyMsByTokens: Array<{ tokens: number; ms: number }>;
  prefillMsPerToken: number;
}

export interface DrafterMeasurement {
  draftMsPerToken: number;
  prefillMsPerToken: number;
}

export type Role = "verifier" | "drafter";

/** What `specfleet profile` writes: libs/sim's verifierProfileSchema / drafterProfileSchema, plus where it came from. */
export type DeviceProfile = (VerifierMeasurement | DrafterMeasurement) & {
  roundOverheadMs: number;
  role: Role;
  model: string;
  threads: number;
  promptTokens: number;
  repeats: number;
  measuredAt: string;
};

export interface ProfileOptions {
  modelPath: string;
  role: Role;
  threads: number;
  /** Measured passes per point, after one warm-up; the median is kept. */
  repeats?: number;
  roundOverheadMs?: number;
  /** Called after each measurement with how many of `total` are done. */
  onProgress?: (done: number, total: number, step: string) => void;
}

/** Loads the model on its own context (one sequence, `threads` threads) and times it in its role. */
export async function profileDevice(options: ProfileOptions): Promise<DeviceProfile> {
  const repeats = options.repeats ?? 5;
  const llama = await createLlama(options.threads);
  const loaded = await loadModel(llama, options.modelPath);
  const context = await createSessionContext(loaded.model, {
    sequences: 1,
    contextSize: 512,
    threads: options.threads,
  });
  try {
    const prompt = tokenizePrompt(loaded.model, PROMPT);
    const progress = options.onProgress ?? (() => undefined);
    const measured =
      options.role === "verifier"
        ? await measureVerifier(context, prompt, repeats, progress)
        : await measureDrafter(context, prompt, repeats, progress);
    return {
      ...measured,
      roundOverheadMs: options.roundOverheadMs ?? DEFAULT_ROUND_OVERHEAD_MS,
      role: options.role,
      model: options.modelPath,
      threads: options.threads,
      promptTokens: prompt.length,
      repeats,
      measuredAt: new Date().toISOString(),
    };
  } finally {
    await context.dispose();
    await loaded.model.dispose();
    await llama.dispose();
  }
}

type Progress = (done: number, total: number, step: string) => void;

/** ms of one forward pass at each of `VERIFY_SIZES`, and the prompt's prefill per token. */
export async function measureVerifier(
  context: LlamaContext,
  prompt: readonly number[],
  repeats: number,
  progress: Progress = () => undefined,
): Promise<VerifierMeasurement> {
  const total = 1 + VERIFY_SIZES.length;
  const prefillMsPerToken = await measurePrefill(context, prompt, repeats);
  progress(1, total, "prefill");
  const session = await openAfterPrompt(context, prompt);
  try {
    const filler = prompt.at(-1)!;
    const verifyMsByTokens: Array<{ tokens: number; ms: number }> = [];
    for (const [i, tokens] of VERIFY_SIZES.entries()) {
      const times: number[] = [];
      for (let r = 0; r <= repeats; r++) {
        const position = session.position;
        // The uncached tail is the one token committed last: with n − 1 draft tokens, n in the pass.
        const started = performance.now();
        const predictions = await session.predict(Array.from({ length: tokens - 1 }, () => filler));
        if (r > 0) times.push(performance.now() - started);
        // Commit one token: drops the window from the cache, so the session stays short.
        await session.commit(position, [predictions[0]!]);
      }
      verifyMsByTokens.push({ tokens, ms: round3(median(times)) });
      progress(2 + i, total, `${tokens}-token pass`);
    }
    return { verifyMsByTokens, prefillMsPerToken };
  } finally {
    await session.dispose();
  }
}

/** ms per drafted token (one decode each, greedy), and the prompt's prefill per token. */
export async function measureDrafter(
  context: LlamaContext,
  prompt: readonly number[],
  repeats: number,
  progress: Progress = () => undefined,
): Promise<DrafterMeasurement> {
  const prefillMsPerToken = await measurePrefill(context, prompt, repeats);
  progress(1, 2, "prefill");
  const draftMsPerToken = await measureDraftSpeed(context, prompt, DRAFT_TOKENS, repeats);
  progress(2, 2, `${DRAFT_TOKENS}-token draft`);
  return { draftMsPerToken: round3(draftMsPerToken), prefillMsPerToken };
}

/** ms per token of evaluating the whole prompt in one pass (a fresh session each time). */
async function measurePrefill(context: LlamaContext, prompt: readonly number[], repeats: number): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r <= repeats; r++) {
    const session = await ModelSession.open(context, prompt);
    try {
      const started = performance.now();
      await session.predict([]);
      if (r > 0) times.push((performance.now() - started) / prompt.length);
    } finally {
      await session.dispose();
    }
  }
  return round3(median(times));
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return 0;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
