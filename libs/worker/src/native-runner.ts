import { NativeModel, nativeUnavailable, type NativeModelOptions } from "#llama";
import type { WorkerConfig } from "#config";
import type { Logger } from "#logging";

/**
 * `path` on SpecFleet's native runner (native/llama) for this worker's greedy sessions, or null
 * when the worker runs on a GPU (the runner is CPU-only) or, with a warning, when it is not built
 * or will not load here: the worker then runs them through node-llama-cpp, slower on a CPU but
 * the same tokens. `what` names the use in the log.
 */
export function loadNativeOrWarn(
  path: string,
  options: NativeModelOptions,
  what: string,
  gpu: WorkerConfig["LLAMA_GPU"],
  log: Logger,
): NativeModel | null {
  if (gpu !== "off") {
    log.info({ LLAMA_GPU: gpu }, `native runner is CPU-only: ${what} through node-llama-cpp`);
    return null;
  }
  const unavailable = nativeUnavailable();
  if (unavailable) {
    log.warn({ reason: unavailable }, `native runner unavailable: ${what} through node-llama-cpp (slower)`);
    return null;
  }
  try {
    return NativeModel.load(path, options);
  } catch (err) {
    // Built but not loadable here (another libllama, no backend): the worker still serves.
    log.warn({ err: String(err) }, `native runner failed to load: ${what} through node-llama-cpp (slower)`);
    return null;
  }
}
