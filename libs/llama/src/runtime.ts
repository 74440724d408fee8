import { existsSync } from "node:fs";
import path, { join } from "node:path";
import {
  getLlama,
  LlamaLogLevel,
  resolveModelFile,
  type Llama,
  type LlamaContext,
  type LlamaModel,
} from "node-llama-cpp";
import { GgufType, readGguf, vocabularyFingerprint } from "#gguf";

/** Where llama.cpp computes: the CPU, or a GPU backend whose prebuilt binaries the install holds. */
export type LlamaGpu = "off" | "auto" | "cuda" | "vulkan" | "metal";

/**
 * getLlama's default of max(4, cores) threads stalls ggml's spin barriers on a 2-core machine
 * (0.5 ms → 500 ms per token): always pass the thread count through. Errors only, so the
 * loader's "bad special token" warnings stay quiet. The CPU unless `gpu` names a backend (a GPU
 * node's worker, with the image built for it); `auto` takes one when there is one.
 */
export async function createLlama(threads: number, gpu: LlamaGpu = "off"): Promise<Llama> {
  return getLlama({ gpu: gpu === "off" ? false : gpu, maxThreads: threads, logLevel: LlamaLogLevel.error });
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

export interface ResolveOptions {
  /** Give up after this long without download progress. */
  timeoutMs?: number;
  /** Download progress of a URI, in bytes. */
  onProgress?: (progress: { downloadedBytes: number; totalBytes: number }) => void;
}

/**
 * Where a model is: an existing local path as is; otherwise a file of that name in `cacheDir`
 * (with or without `.gguf`, as `specfleet model` and the fleet build them there); an `hf:` URI
 * (or https URL) is downloaded once into `cacheDir` through node-llama-cpp's own resolver and
 * reused afterwards. Anything else fails saying what was tried.
 */
export async function resolveModelLocation(
  location: string,
  cacheDir: string,
  options: ResolveOptions = {},
): Promise<string> {
  if (!isModelUri(location)) {
    if (existsSync(location)) return location;
    const candidates = [join(cacheDir, location), join(cacheDir, `${location}.gguf`)];
    const cached = candidates.find((candidate) => existsSync(candidate));
    if (cached) return cached;
    throw new Error(
      `no model at ${location}, nor ${candidates.join(" or ")}: give a GGUF path, a name in the cache, or an hf: URI`,
    );
  }
  const timeoutMs = options.timeoutMs ?? 60_000;
  // An unreachable host may never answer, and a large file takes long: give up only after
  // `timeoutMs` without progress, not after `timeoutMs` in all.
  const aborter = new AbortController();
  let stalled: NodeJS.Timeout | undefined;
  const rearm = () => {
    clearTimeout(stalled);
    stalled = setTimeout(() => aborter.abort(new Error(`no progress for ${timeoutMs / 1000} s`)), timeoutMs);
  };
  const gaveUp = new Promise<never>((_, reject) =>
    aborter.signal.addEventListener("abort", () => reject(aborter.signal.reason as Error)),
  );
  rearm();
  try {
    return await Promise.race([
      resolveModelFile(location, {
        directory: cacheDir,
        cli: false,
        signal: aborter.signal,
        onProgress: (s) => {
          rearm();
          options.onProgress?.({ downloadedBytes: s.downloadedSize, totalBytes: s.totalSize });
        },
      }),
      gaveUp,
    ]);
  } catch (error) {
    throw new Error(
      `could not fetch the model ${location} (${(error as Error).message}); download it where the network allows and give its local path instead`,
    );
  } finally {
    clearTimeout(stalled);
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
