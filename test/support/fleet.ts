import { defaultModelPath, startLocalFleet, type LocalFleet, type LocalFleetOptions } from "#infra";

export const MODEL_PATH = defaultModelPath();
export const MODEL = "stories260K";

/**
 * A fleet of real processes on fresh nats-server and redis-server instances, for one test
 * file; resolves once every worker is registered. Logs go to `.cache/test-logs/<name>/`.
 */
export function startTestFleet(name: string, options: LocalFleetOptions): Promise<LocalFleet> {
  return startLocalFleet({ modelPath: MODEL_PATH, logLevel: "info", logDir: `.cache/test-logs/${name}`, ...options });
}

export const PROMPTS = [
  "Once upon a time",
  "The little dog",
  "Lily and Ben went to the park. They",
  "One day, a big bird",
  "Tom had a red ball.",
];
