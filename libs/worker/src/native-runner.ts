import { NativeModel, nativeUnavailable, type NativeModelOptions } from "#llama";
import type { Logger } from "#logging";

/**
 * `path` on SpecFleet's native runner (native/llama) for this worker's greedy sessions, or null
 * with a warning when it is not built or will not load here: the worker then runs them through
 * node-llama-cpp, slower but the same tokens. `what` names the use in the warning.
 */
export function loadNativeOrWarn(
  path: string,
  options: NativeModelOptions,
  what: string,
  log: Logger,
): NativeModel | null {
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
