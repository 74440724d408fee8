import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { GREEDY, isGreedy, SequenceLedger, type SamplingParams } from "#speculation";
import { timeDrafting } from "./profile.js";
import type { DraftedWindow } from "./session.js";

/**
 * Where scripts/build-native-draft.sh puts the native drafter (native/draft), from this file's
 * place in dist/libs/llama/src.
 */
export const NATIVE_DRAFT_ADDON = fileURLToPath(
  new URL("../../../../native/draft/build/specfleet_draft.node", import.meta.url),
);

interface DraftJob {
  seq: number;
  /** Cells of `seq` from here on are erased before `tail` is evaluated. */
  keep: number;
  tail: Uint32Array;
  window: number;
}

interface NativeDrafterAddon {
  draft(jobs: DraftJob[]): Promise<Uint32Array[]>;
  close(): void;
}

type AddonModule = {
  Drafter: new (
    modelPath: string,
    options: { contextSize: number; sequences: number; threads: number },
  ) => NativeDrafterAddon;
};

/** Why the native drafter cannot be used here, or null when it can. */
export function nativeDraftUnavailable(): string | null {
  return existsSync(NATIVE_DRAFT_ADDON)
    ? null
    : `${NATIVE_DRAFT_ADDON} is not built (bash scripts/build-native-draft.sh builds it; it needs g++)`;
}

/**
 * A draft model run by SpecFleet's native drafter (native/draft/draft.cc) instead of through
 * node-llama-cpp: a whole greedy window in one call, where node-llama-cpp makes two thread hops
 * and its JavaScript bookkeeping per token (~0.3 ms of a stories260K token's ~0.65 ms here;
 * docs/benchmarks.md). Windows asked for in the same turn of the event loop are drafted in one
 * call, in lockstep: one decode per step for all their sessions. Greedy only: a sampled draft
 * needs q, which node-llama-cpp's path (ModelSession.draft) gives.
 *
 * Loads its own copy of the model on the libllama node-llama-cpp has loaded (create it after
 * node-llama-cpp's Llama: that is what loads the compute backends).
 */
export class NativeDraftModel {
  private readonly free: number[];
  private pending: Array<{ job: DraftJob; resolve: (tokens: number[]) => void; reject: (err: Error) => void }> = [];
  private scheduled = false;
  private closed = false;

  private constructor(
    private readonly addon: NativeDrafterAddon,
    sequences: number,
  ) {
    this.free = Array.from({ length: sequences }, (_, i) => i);
  }

  /** Throws when the addon is not built (`nativeDraftUnavailable` says why) or the model does not load. */
  static load(
    modelPath: string,
    options: { contextSize: number; sequences: number; threads: number },
  ): NativeDraftModel {
    const unavailable = nativeDraftUnavailable();
    if (unavailable) throw new Error(unavailable);
    const { Drafter } = createRequire(import.meta.url)(NATIVE_DRAFT_ADDON) as AddonModule;
    return new NativeDraftModel(new Drafter(modelPath, options), options.sequences);
  }

  /**
   * A sequence following `committed` (at least one token). When every sequence is taken it waits
   * up to `waitMs` for one to be disposed (a session ending as another starts), as
   * ModelSession.open does, then throws.
   */
  async open(committed: readonly number[], waitMs = 2000): Promise<NativeDraftSequence> {
    const deadline = Date.now() + waitMs;
    while (this.free.length === 0 && !this.closed) {
      if (Date.now() > deadline) throw new Error("no free sequence in the native drafter");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (this.closed) throw new Error("the native drafter is closed");
    // The lowest free sequence first: the cells of ended sessions are reused by the next.
    this.free.sort((a, b) => a - b);
    return new NativeDraftSequence(this, this.free.shift()!, committed);
  }

  /** ms per drafted token, timed as node-llama-cpp's drafting is (profile.ts `timeDrafting`). */
  measureDraftSpeed(startTokens: readonly number[], tokens = 8, repeats = 3): Promise<number> {
    return timeDrafting(
      async () => {
        const sequence = await this.open(startTokens);
        // The start tokens evaluated first (a token drafted and committed).
        await sequence.commit(sequence.position, (await sequence.draft(1)).tokens);
        return sequence;
      },
      tokens,
      repeats,
    );
  }

  /** @internal A sequence's window, drafted with every other asked for in this turn. */
  run(job: DraftJob): Promise<number[]> {
    if (this.closed) return Promise.reject(new Error("the native drafter is closed"));
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
        .draft(batch.map((item) => item.job))
        .then((results) => batch.forEach((item, i) => item.resolve([...results[i]!])), fail);
    } catch (err) {
      fail(err); // a job the addon refused outright
    }
  }
}

/**
 * One session's sequence in the native drafter, with ModelSession's drafting contract: a draft
 * evaluates the uncached committed tail and every drafted token but the last; a commit keeps in
 * the cache what is a prefix of the committed sequence (erased lazily, by the next draft).
 */
export class NativeDraftSequence {
  private readonly ledger: SequenceLedger;
  private disposed = false;

  constructor(
    private readonly owner: NativeDraftModel,
    private readonly seq: number,
    committed: readonly number[],
  ) {
    // The sequence's cells are whatever its last user left: all erased by the first draft.
    this.ledger = new SequenceLedger(committed);
  }

  get position(): number {
    return this.ledger.position;
  }

  /** Drafts `window` greedy tokens after the committed sequence, or after `from` (not cached yet). */
  async draft(window: number, sampling: SamplingParams = GREEDY, from?: readonly number[]): Promise<DraftedWindow> {
    if (!isGreedy(sampling)) throw new Error("the native drafter drafts greedily only");
    if (this.disposed) throw new Error("the draft sequence is disposed");
    if (window <= 0) return { tokens: [], q: [] };
    const tail = from ? [...from] : this.ledger.uncachedTail();
    if (tail.length === 0) throw new Error("nothing to draft after: the sequence holds its drafts already");
    const keep = this.ledger.cachedLength;
    const tokens = await this.owner.run({ seq: this.seq, keep, tail: Uint32Array.from(tail), window });
    this.ledger.evaluated([...tail, ...tokens.slice(0, -1)]);
    return { tokens, q: [] };
  }

  /** Appends what the verifier committed at `position` (the cache is trimmed by the next draft). */
  async commit(position: number, tokens: readonly number[]): Promise<void> {
    this.ledger.commit(position, tokens);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.owner.release(this.seq);
  }
}
