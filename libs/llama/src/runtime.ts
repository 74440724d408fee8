import path from "node:path";
import { getLlama, LlamaLogLevel, resolveModelFile, type Llama, type LlamaContext, type LlamaModel } from "node-llama-cpp";
import { GgufType, readGguf, vocabularyFingerprint } from "#gguf";

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
  /** Number of tokens in the vocabulary: valid token ids are 0..vocabularySize-1. */
  vocabularySize: number;
}

/** The name clients use for a model by default: its file name without `.gguf`. */
export function modelNameFromLocation(location: string): string {
  return path.basename(location.split("?")[0]!).replace(/\.gguf$/i, "");
}

/** A model given as `hf:owner/repo/file.gguf` (or an https URL) rather than a local path. */
export function isModelUri(location: string): boolean {
  return /^(hf:|huggingface:|https?:\/\/)/i.test(location);
}

/**
 * A local path as is; a URI is downloaded once into `cacheDir` through node-llama-cpp's own
 * resolver and reused afterwards. A URI that cannot be reached fails with what to do instead.
 */
export async function resolveModelLocation(location: string, cacheDir: string, timeoutMs = 60_000): Promise<string> {
  if (!isModelUri(location)) return location;
  // An unreachable host may never answer: give up after a while instead of hanging the worker.
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    return await Promise.race([
      resolveModelFile(location, { directory: cacheDir, cli: false, signal }),
      new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(new Error(`no answer within ${timeoutMs / 1000} s`)))),
    ]);
  } catch (error) {
    throw new Error(
      `could not fetch the model ${location} (${(error as Error).message}); download it where the network allows and give its local path instead`,
    );
  }
}

export async function loadModel(llama: Llama, modelPath: string, name?: string): Promise<LoadedModel> {
  // The fingerprint comes from the file's own metadata, exactly as `specfleet model inspect` shows it.
  const { metadata } = await readGguf(modelPath);
  const vocabFingerprint = vocabularyFingerprint(metadata);
  const tokens = metadata.get("tokenizer.ggml.tokens");
  const vocabularySize = tokens?.type === GgufType.ARRAY ? tokens.value.items.length : 0;
  const model = await llama.loadModel({ modelPath });
  return { model, name: name ?? modelNameFromLocation(modelPath), vocabFingerprint, vocabularySize };
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
