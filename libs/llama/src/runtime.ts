import path from "node:path";
import { getLlama, LlamaLogLevel, type Llama, type LlamaContext, type LlamaModel } from "node-llama-cpp";
import { vocabularyFingerprint } from "./fingerprint.js";

/**
 * getLlama's default of max(4, cores) threads stalls ggml's spin barriers on a 2-core machine
 * (0.5 ms → 500 ms per token): always pass the thread count through. Errors only, so the
 * loader's "bad special token" warnings stay quiet.
 */
export async function createLlama(threads: number): Promise<Llama> {
  return getLlama({ gpu: false, maxThreads: threads, logLevel: LlamaLogLevel.error });
}

export interface LoadedModel {
  model: LlamaModel;
  name: string;
  vocabFingerprint: string;
}

export async function loadModel(llama: Llama, modelPath: string, name?: string): Promise<LoadedModel> {
  const model = await llama.loadModel({ modelPath });
  const ggml = (model.fileInfo.metadata as { tokenizer?: { ggml?: Record<string, unknown> } }).tokenizer?.ggml;
  if (!ggml) throw new Error(`${modelPath} has no tokenizer metadata; it cannot take part in speculation`);
  return {
    model,
    name: name ?? path.basename(modelPath).replace(/\.gguf$/i, ""),
    vocabFingerprint: vocabularyFingerprint(ggml),
  };
}

/** Thrown instead of letting the library silently drop the oldest tokens (context shift). */
export class ContextFullError extends Error {
  constructor() {
    super("the session's context is full");
    this.name = "ContextFullError";
  }
}

export async function createSessionContext(
  model: LlamaModel,
  options: { sequences: number; contextSize: number; threads: number },
): Promise<LlamaContext> {
  return model.createContext({
    sequences: options.sequences,
    contextSize: options.contextSize,
    threads: options.threads,
    batchSize: Math.max(512, options.contextSize),
  });
}

/**
 * The prompt as LlamaCompletion.generateCompletion tokenizes it: the beginning token when the
 * vocabulary asks for one, then the text with its leading space trimmed in that case.
 */
export function tokenizePrompt(model: LlamaModel, text: string): number[] {
  const bos = beginningToken(model);
  const tokens = model.tokenize(text, false, bos != null ? "trimLeadingSpace" : undefined) as number[];
  return bos != null ? [bos as number, ...tokens] : tokens;
}

/** Mirrors node-llama-cpp's resolveBeginningTokenToPrepend (utils/tokenizerUtils.js). */
function beginningToken(model: LlamaModel): number | null {
  const type = String(model.vocabularyType);
  if (type === "rwkv" || type === "ugm") return null;
  if (type === "wpm") return model.tokens.bos as number | null;
  return model.tokens.shouldPrependBosToken ? (model.tokens.bos as number | null) : null;
}
