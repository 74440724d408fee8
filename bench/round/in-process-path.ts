import type { Llama, LlamaContext } from "node-llama-cpp";
import {
  createLlama,
  createSessionContext,
  loadModel,
  NativeModel,
  nativeUnavailable,
  openGreedyDraft,
  openGreedyTarget,
  speculateInProcess,
  tokenizePrompt,
  type LoadedModel,
} from "#llama";
import { GREEDY } from "#speculation";
import type { PathOptions, PathRun } from "../support/report.js";

/**
 * The same rounds with target and drafter in this process: no network, no serialisation. Both
 * run as the fleet's workers do: on the native runner when it is built (TARGET_NATIVE's and
 * DRAFT_NATIVE's defaults: one KV cache for the target, a stream per sequence for the draft
 * model), else through node-llama-cpp.
 */
export class InProcessPath {
  private constructor(
    private readonly llama: Llama,
    private readonly target: LoadedModel,
    private readonly targetContext: LlamaContext,
    private readonly nativeTarget: NativeModel | null,
    private readonly draftContext: LlamaContext,
    private readonly nativeDraft: NativeModel | null,
    private readonly options: PathOptions,
  ) {}

  static async start(options: PathOptions): Promise<InProcessPath> {
    const llama = await createLlama(1);
    const target = await loadModel(llama, options.modelPath);
    const draft = await loadModel(llama, options.modelPath);
    const targetContext = await createSessionContext(target.model, { sequences: 1, contextSize: 512, threads: 1 });
    const draftContext = await createSessionContext(draft.model, { sequences: 1, contextSize: 512, threads: 1 });
    const native = (use: "verify" | "draft") =>
      nativeUnavailable() === null
        ? NativeModel.load(options.modelPath, { sequences: 1, contextSize: 512, threads: 1, use })
        : null;
    return new InProcessPath(llama, target, targetContext, native("verify"), draftContext, native("draft"), options);
  }

  /** Which way greedy rounds are verified and drafted, for the report. */
  get engine(): string {
    return this.nativeTarget ? "native runner" : "node-llama-cpp";
  }

  async run(): Promise<PathRun> {
    let rounds = 0;
    const tokens: number[] = [];
    const phases = new Map<string, number>();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    for (const prompt of this.options.prompts) {
      const promptTokens = tokenizePrompt(this.target.model, prompt);
      const target = await openGreedyTarget(this.nativeTarget, this.targetContext, promptTokens);
      const drafter = await openGreedyDraft(this.nativeDraft, this.draftContext, promptTokens);
      timePhases(drafter, "draft", "draft", phases);
      timePhases(drafter, "commit", "apply", phases);
      timePhases(target, "predict", "verify", phases);
      timePhases(target, "commit", "verify", phases);
      const result = await speculateInProcess(target, drafter, {
        maxTokens: this.options.maxTokens,
        window: this.options.window,
        sampling: GREEDY,
      });
      await target.dispose();
      await drafter.dispose();
      rounds += result.rounds;
      tokens.push(...result.tokens);
    }
    const elapsed = performance.now() - started;
    const { user, system } = process.cpuUsage(cpuBefore);
    for (const [phase, ms] of phases) phases.set(phase, ms / rounds);
    // This process's CPU, every thread (the native runner's included): the loop is all it does then.
    const cpu = new Map([["in-process loop (the bench's process)", (user + system) / 1000 / rounds]]);
    return { msPerRound: elapsed / rounds, tokens, phases, cpu };
  }

  /** The same rounds, unmeasured. */
  async warm(): Promise<void> {
    await this.run();
  }

  async stop(): Promise<void> {
    this.nativeTarget?.close();
    this.nativeDraft?.close();
    await this.llama.dispose();
  }
}

/**
 * Times `session.method` into `phases` under `local.<phase>` (bench:round's breakdown): the
 * in-process loop's own calls, wrapped on this one session object.
 */
function timePhases<S extends object, K extends "draft" | "commit" | "predict">(
  session: S,
  method: K & keyof S,
  phase: string,
  phases: Map<string, number>,
): void {
  const original = (session[method] as (...args: unknown[]) => Promise<unknown>).bind(session);
  const key = `local.${phase}`;
  (session as unknown as Record<K, (...args: unknown[]) => Promise<unknown>>)[method] = async (...args) => {
    const started = performance.now();
    try {
      return await original(...args);
    } finally {
      phases.set(key, (phases.get(key) ?? 0) + performance.now() - started);
    }
  };
}
