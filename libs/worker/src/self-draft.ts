import type { WorkerConfig } from "#config";
import type { WorkerProfile } from "#contracts";
import {
  createSessionContext,
  loadModel,
  measureDraftSpeed,
  modelNameFromLocation,
  resolveModelLocation,
  tokenizePrompt,
  type LoadedModel,
} from "#llama";
import type { Logger } from "#logging";
import type { Llama } from "node-llama-cpp";
import { loadNativeOrWarn } from "./native-runner.js";
import type { SelfDraftModel } from "./worker-module.js";

/** A verifier's co-located draft model, as its configuration names it (SELF_DRAFT_*). */
export interface SelfDraftSettings {
  /** A GGUF path or an hf: URI. */
  location: string;
  threads: number;
  maxWindow: number;
  /** Greedy windows through the native runner when it is built (SELF_DRAFT_NATIVE). */
  native: boolean;
}

/**
 * Loads the draft model a verifier drafts for itself with, beside its target, in the same llama
 * instance: a context with a sequence per session and its own (small) thread count; and, unless
 * turned off, the native runner on the same file (it drafts greedy windows; a sampled one needs
 * the context). Its vocabulary must be the target's, or the worker does not start.
 */
export async function loadSelfDraft(
  llama: Llama,
  settings: SelfDraftSettings,
  target: LoadedModel,
  config: WorkerConfig,
  log: Logger,
): Promise<SelfDraftModel> {
  const path = await resolveModelLocation(settings.location, config.MODEL_CACHE_DIR, {
    timeoutMs: config.MODEL_FETCH_TIMEOUT_MS,
  });
  const loaded = await loadModel(llama, path, modelNameFromLocation(settings.location));
  if (loaded.vocabFingerprint !== target.vocabFingerprint) {
    await loaded.model.dispose();
    throw new Error(
      `SELF_DRAFT_MODEL ${settings.location} has another vocabulary than the target ${target.name} ` +
        `(${loaded.vocabFingerprint} vs ${target.vocabFingerprint}): a draft model must share the target's tokenizer`,
    );
  }
  const context = await createSessionContext(loaded.model, {
    sequences: config.MAX_SESSIONS,
    contextSize: config.CONTEXT_SIZE,
    threads: settings.threads,
  });
  const native = settings.native
    ? loadNativeOrWarn(
        path,
        {
          contextSize: config.CONTEXT_SIZE,
          sequences: config.MAX_SESSIONS,
          threads: settings.threads,
          use: "draft",
        },
        "drafting for itself",
        config.LLAMA_GPU,
        log,
      )
    : null;
  log.info(
    { model: loaded.name, threads: settings.threads, native: native !== null },
    "co-located draft model loaded: drafting for itself",
  );
  return { loaded, context, native };
}

/** What the verifier registers of its co-located draft model (measured, or 0 ms when profiling is off). */
export async function selfDraftProfile(
  selfDraft: SelfDraftModel,
  settings: SelfDraftSettings,
  measure: boolean,
): Promise<NonNullable<WorkerProfile["selfDraft"]>> {
  const start = tokenizePrompt(selfDraft.loaded.model, "Once upon a time");
  return {
    model: { name: selfDraft.loaded.name, vocabFingerprint: selfDraft.loaded.vocabFingerprint },
    draftMsPerToken: !measure
      ? 0
      : selfDraft.native
        ? await selfDraft.native.measureDraftSpeed(start)
        : await measureDraftSpeed(selfDraft.context, start),
    maxWindow: settings.maxWindow,
  };
}
