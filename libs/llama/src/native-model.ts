import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { LlamaContext, Token } from "node-llama-cpp";
import { NativeDraftSequence } from "./native-draft.js";
import type { NativeJob, NativeJobRunner } from "./native-jobs.js";
import { NativeTargetSession } from "./native-target.js";
import { timeDrafting } from "./profile.js";
import { ModelSession } from "./session.js";
import type { DraftSequence } from "./draft-sequence.js";
import type { TargetSession } from "./target-session.js";

/**
 * Where scripts/build-native.sh puts the native runner (native/llama), from this file's place in
 * dist/libs/llama/src.
 */
export const NATIVE_ADDON = fileURLToPath(
  new URL("../../../../native/llama/build/specfleet_llama.node", import.meta.url),
);

interface NativeRunnerAddon {
  run(jobs: NativeJob[]): Promise<Uint32Array[]>;
  close(): void;
}

/** How a runner keeps its KV cache and runs attention (set by its `use`). */
export interface NativeRunnerSettings {
  unifiedKvCache: boolean;
  /** false: off; true: llama.cpp's choice (on, on CPU). */
  flashAttention: boolean;
  kvCacheF32: boolean;
}

type AddonModule = {
  Runner: new (
    modelPath: string,
    options: { contextSize: number; sequences: number; threads: number } & NativeRunnerSettings,
  ) => NativeRunnerAddon;
};

/** The settings each `use` gets (NativeModelOptions). */
export function nativeRunnerSettings(use: NativeModelOptions["use"]): NativeRunnerSettings {
  const verify = use === "verify";
  return { unifiedKvCache: verify, flashAttention: verify, kvCacheF32: !verify };
}

export interface NativeModelOptions {
  /** Tokens each sequence may hold. */
  contextSize: number;
  sequences: number;
  threads: number;
  /**
   * What the runner is for, which sets its cache and attention:
   * - "verify": one KV cache for all sequences, so one decode takes any mix of sequences and
   *   lengths (with a stream per sequence llama.cpp splits a batch of unequal lengths into
   *   several); attention as llama.cpp chooses (flash attention, f16 cache).
   * - "draft": a KV stream per sequence (single-token steps ran 15–30% faster on it), no flash
   *   attention and an f32 cache: with flash attention a stories260K step cost 0.33 ms at
   *   position 9 and 0.8 ms at 141, without it ~0.35 ms up to 256 (native/llama/README.md).
   */
  use: "verify" | "draft";
  /** Other settings than the use's (bench:draft-steps weighs them against each other). */
  settings?: Partial<NativeRunnerSettings>;
}

/** Why the native runner cannot be used here, or null when it can. */
export function nativeUnavailable(): string | null {
  return existsSync(NATIVE_ADDON)
    ? null
    : `${NATIVE_ADDON} is not built (bash scripts/build-native.sh builds it; it needs g++)`;
}

/**
 * A model run by SpecFleet's native runner (native/llama/runner.cc) instead of through
 * node-llama-cpp, for greedy sessions. Through node-llama-cpp every token that needs a
 * prediction is a sampling call, each a hop to a libuv thread with its JavaScript bookkeeping: a
 * draft token costs ~0.65 ms where the decode is ~0.3 ms, and a verify pass of 65 positions
 * ~10% more than the decode alone (docs/benchmarks.md). Here a draft window is one call, and a
 * verify pass reads its argmaxes in place. The jobs asked for in the same turn of the event loop
 * go in one call: the verify passes in one decode, the draft windows in lockstep (one decode per
 * step for all their sessions).
 *
 * Greedy only: a sampled draft needs q, a sampled verify the target's probabilities, which
 * node-llama-cpp's path (ModelSession) gives. Loads its own copy of the model (the weights are
 * mapped from the same file) on the libllama node-llama-cpp has loaded: create it after
 * node-llama-cpp's Llama, which loads the compute backends.
 */
export class NativeModel implements NativeJobRunner {
  private readonly free: number[];
  private pending: Array<{ job: NativeJob; resolve: (tokens: number[]) => void; reject: (err: Error) => void }> = [];
  private scheduled = false;
  private closed = false;

  private constructor(
    private readonly addon: NativeRunnerAddon,
    sequences: number,
  ) {
    this.free = Array.from({ length: sequences }, (_, i) => i);
  }

  /** Throws when the addon is not built (`nativeUnavailable` says why) or the model does not load. */
  static load(modelPath: string, options: NativeModelOptions): NativeModel {
    const unavailable = nativeUnavailable();
    if (unavailable) throw new Error(unavailable);
    const { Runner } = createRequire(import.meta.url)(NATIVE_ADDON) as AddonModule;
    const { contextSize, sequences, threads, use, settings } = options;
    return new NativeModel(
      new Runner(modelPath, { contextSize, sequences, threads, ...nativeRunnerSettings(use), ...settings }),
      sequences,
    );
  }

  /**
   * A draft sequence following `committed` (at least one token); see `takeSequence` for waiting.
   * `isEndOfGeneration`: the draft model's end-of-generation tokens (a drafter's pipelining asks).
   */
  async openDraft(
    committed: readonly number[],
    isEndOfGeneration: (token: number) => boolean,
    waitMs = 2000,
  ): Promise<NativeDraftSequence> {
    return new NativeDraftSequence(this, await this.takeSequence(waitMs), committed, isEndOfGeneration);
  }

  /** A target session holding `committed` (at least one token), as ModelSession.open opens one. */
  async openTarget(
    committed: readonly number[],
    isEndOfGeneration: (token: number) => boolean,
    waitMs = 2000,
  ): Promise<NativeTargetSession> {
    return new NativeTargetSession(this, await this.takeSequence(waitMs), committed, isEndOfGeneration);
  }

  /** ms per drafted token, timed as node-llama-cpp's drafting is (profile.ts `timeDrafting`). */
  measureDraftSpeed(startTokens: readonly number[], tokens = 8, repeats = 3): Promise<number> {
    return timeDrafting(
      async () => {
        const sequence = await this.openDraft(startTokens, () => false);
        // The start tokens evaluated first (a token drafted and committed).
        await sequence.commit(sequence.position, (await sequence.draft(1)).tokens);
        return sequence;
      },
      tokens,
      repeats,
    );
  }

  /** @internal A sequence's job, run with every other asked for in this turn. */
  run(job: NativeJob): Promise<number[]> {
    if (this.closed) return Promise.reject(new Error("the native runner is closed"));
    return new Promise((resolve, reject) => {
      this.pending.push({ job, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => this.flush());
    });
  }

  /** @internal */
  release(seq: number): void {
    this.free.push(seq);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.addon.close();
  }

  /**
   * The lowest free sequence (the cells of ended sessions are reused by the next). When every
   * sequence is taken it waits up to `waitMs` for one to be released (a session ending as
   * another starts), as ModelSession.open does, then throws.
   */
  private async takeSequence(waitMs: number): Promise<number> {
    const deadline = Date.now() + waitMs;
    while (this.free.length === 0 && !this.closed) {
      if (Date.now() > deadline) throw new Error("no free sequence in the native runner");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (this.closed) throw new Error("the native runner is closed");
    this.free.sort((a, b) => a - b);
    return this.free.shift()!;
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    const fail = (err: unknown) => {
      const error = err instanceof Error ? err : new Error(String(err));
      for (const item of batch) item.reject(error);
    };
    try {
      this.addon
        .run(batch.map((item) => item.job))
        .then((results) => batch.forEach((item, i) => item.resolve([...results[i]!])), fail);
    } catch (err) {
      fail(err); // a job the addon refused outright
    }
  }
}

/**
 * A greedy session's sequence on the target: on `native` when the worker has the native runner
 * for it, else on node-llama-cpp's `context` (which a sampled session always uses).
 */
export function openGreedyTarget(
  native: NativeModel | null,
  context: LlamaContext,
  committed: readonly number[],
): Promise<TargetSession> {
  return native
    ? native.openTarget(committed, (token) => context.model.isEogToken(token as Token))
    : ModelSession.open(context, committed);
}

/**
 * A greedy session's draft sequence: on the native runner when there is one, else on
 * node-llama-cpp's context.
 */
export function openGreedyDraft(
  native: NativeModel | null,
  context: LlamaContext,
  committed: readonly number[],
): Promise<DraftSequence> {
  return native
    ? native.openDraft(committed, (token) => context.model.isEogToken(token as Token))
    : ModelSession.open(context, committed);
}
