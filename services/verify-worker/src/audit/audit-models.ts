import type { LlamaContext, Llama } from "node-llama-cpp";
import type { ModelDescriptor } from "#contracts";
import { createSessionContext, DraftReplay, loadModel, modelNameFromLocation, resolveModelLocation } from "#llama";
import type { Logger } from "#logging";

/** Where and how the audit models load. */
export interface AuditModelSettings {
  /** VERIFY_AUDIT_MODELS: GGUF paths or hf: URIs. */
  locations: readonly string[];
  cacheDir: string;
  fetchTimeoutMs: number;
  contextSize: number;
  threads: number;
}

interface AuditModel {
  name: string;
  vocabFingerprint: string;
  context: LlamaContext;
  replay: DraftReplay;
}

/**
 * The drafter models a verifier may audit with (VERIFY_AUDIT_MODELS), each loaded on first use
 * into its own one-sequence context. A drafter is audited with the model whose name (the file
 * name without `.gguf`, as a worker registers it by default) and vocabulary fingerprint are
 * the ones it registered; a name that no entry has, or whose file has another vocabulary, means
 * no recompute for that drafter (the draw check still applies).
 */
export class AuditModels {
  private readonly loading = new Map<string, Promise<AuditModel | null>>();

  constructor(
    private readonly llama: Llama,
    private readonly settings: AuditModelSettings,
    private readonly log: Logger,
  ) {}

  /** Whether any entry carries this name (no loading). */
  knows(name: string): boolean {
    return this.settings.locations.some((location) => modelNameFromLocation(location) === name);
  }

  /** The replay for a drafter's registered model, loading it the first time; null when none matches. */
  async forDrafter(model: ModelDescriptor): Promise<DraftReplay | null> {
    const location = this.settings.locations.find((l) => modelNameFromLocation(l) === model.name);
    if (!location) return null;
    let loaded = this.loading.get(location);
    if (!loaded) {
      loaded = this.load(location);
      this.loading.set(location, loaded);
    }
    const audit = await loaded;
    return audit && audit.vocabFingerprint === model.vocabFingerprint ? audit.replay : null;
  }

  private async load(location: string): Promise<AuditModel | null> {
    try {
      const path = await resolveModelLocation(location, this.settings.cacheDir, {
        timeoutMs: this.settings.fetchTimeoutMs,
      });
      const loaded = await loadModel(this.llama, path, modelNameFromLocation(location));
      const context = await createSessionContext(loaded.model, {
        sequences: 1,
        contextSize: this.settings.contextSize,
        threads: this.settings.threads,
      });
      this.log.info({ model: loaded.name, vocab: loaded.vocabFingerprint }, "audit model loaded");
      return {
        name: loaded.name,
        vocabFingerprint: loaded.vocabFingerprint,
        context,
        replay: new DraftReplay(context),
      };
    } catch (err) {
      this.log.error(
        { model: location, err: String(err) },
        "could not load an audit model; its drafters get the draw check only",
      );
      return null;
    }
  }

  async dispose(): Promise<void> {
    for (const loading of this.loading.values()) {
      const audit = await loading;
      await audit?.replay.dispose();
      await audit?.context.dispose();
    }
  }
}
