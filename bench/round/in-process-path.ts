import type { Llama, LlamaContext } from "node-llama-cpp";
import {
  createLlama,
  createSessionContext,
  loadModel,
  ModelSession,
  speculateInProcess,
  tokenizePrompt,
  type LoadedModel,
} from "#llama";
import { GREEDY } from "#speculation";
import type { PathOptions, PathRun } from "../support/report.js";

/** The same rounds with target and drafter in this process: no network, no serialisation. */
export class InProcessPath {
  private constructor(
    private readonly llama: Llama,
    private readonly target: LoadedModel,
    private readonly targetContext: LlamaContext,
    private readonly draftContext: LlamaContext,
    private readonly options: PathOptions,
  ) {}

  static async start(options: PathOptions): Promise<InProcessPath> {
    const llama = await createLlama(1);
    const target = await loadModel(llama, options.modelPath);
    const draft = await loadModel(llama, options.modelPath);
    const targetContext = await createSessionContext(target.model, { sequences: 1, contextSize: 512, threads: 1 });
    const draftContext = await createSessionContext(draft.model, { sequences: 1, contextSize: 512, threads: 1 });
    return new InProcessPath(llama, target, targetContext, draftContext, options);
  }

  async run(): Promise<PathRun> {
    let rounds = 0;
    const tokens: number[] = [];
    const started = performance.now();
    for (const prompt of this.options.prompts) {
      const promptTokens = tokenizePrompt(this.target.model, prompt);
      const target = await ModelSession.open(this.targetContext, promptTokens);
      const drafter = await ModelSession.open(this.draftContext, promptTokens);
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
    return { msPerRound: (performance.now() - started) / rounds, tokens };
  }

  async stop(): Promise<void> {
    await this.llama.dispose();
  }
}
