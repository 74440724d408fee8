import { defaultModelPath, startLocalFleet, type LocalFleet, type LocalFleetOptions } from "#infra";
import { waitForFleet } from "./openai-client.js";

export const MODEL_PATH = defaultModelPath();
export const MODEL = "stories260K";

/**
 * A fleet of real processes on fresh nats-server and redis-server instances, for one test
 * file; resolves once the expected workers are live. Logs go to `.cache/test-logs/<name>/`.
 */
export async function startTestFleet(
  name: string,
  options: LocalFleetOptions & { verifiers: number; drafters: number },
): Promise<LocalFleet> {
  const fleet = await startLocalFleet({
    modelPath: MODEL_PATH,
    logLevel: "info",
    logDir: `.cache/test-logs/${name}`,
    ...options,
  });
  try {
    await waitForFleet(fleet.gatewayUrl, options.verifiers, options.drafters);
  } catch (err) {
    await fleet.stop();
    throw err;
  }
  return fleet;
}

export const PROMPTS = [
  "Once upon a time",
  "The little dog",
  "Lily and Ben went to the park. They",
  "One day, a big bird",
  "Tom had a red ball.",
];
