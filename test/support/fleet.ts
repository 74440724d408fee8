import { z } from "zod";
import { parseConfig } from "#config";
import { defaultModelPath, startLocalFleet, type LocalFleet, type LocalFleetOptions } from "#infra";

/** Tests start their own nats-server and redis-server unless these point at running ones. */
const testEnv = parseConfig(
  z.object({ NATS_URL: z.string().optional(), REDIS_URL: z.string().optional() }),
  process.env,
);

export const MODEL_PATH = defaultModelPath();
export const MODEL = "stories260K";

/**
 * A fleet of real processes on fresh nats-server and redis-server instances, for one test
 * file; resolves once every worker is registered. Logs go to `.cache/test-logs/<name>/`.
 */
export function startTestFleet(name: string, options: LocalFleetOptions): Promise<LocalFleet> {
  return startLocalFleet({
    modelPath: MODEL_PATH,
    logLevel: "info",
    logDir: `.cache/test-logs/${name}`,
    natsUrl: testEnv.NATS_URL,
    redisUrl: testEnv.REDIS_URL,
    // Ephemeral: a fresh redis-server data folder per fleet, removed on stop (never .cache/redis).
    redisDataDir: undefined,
    // One process fewer on 2 cores: only the tests of the dashboard (and what it gathers) ask for it.
    dashboard: false,
    ...options,
  });
}

export const PROMPTS = [
  "Once upon a time",
  "The little dog",
  "Lily and Ben went to the park. They",
  "One day, a big bird",
  "Tom had a red ball.",
];

/** The base URL of a fleet's dashboard (its page is `${url}/dashboard`, its API `${url}/dashboard/api`). */
export function dashboardUrlOf(fleet: LocalFleet): string {
  if (fleet.dashboardUrl === null) throw new Error("this fleet was started without a dashboard");
  return fleet.dashboardUrl;
}
