import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** What `specfleet serve` can run, each with what it owns (docs: ARCHITECTURE.md's actors). */
export const SERVED_ACTORS = {
  registry: "the device registry: registrations, heartbeats, credentials",
  scheduler: "admission, pairing, the session table, rebalancing",
  gateway: "the OpenAI-compatible HTTP API (GATEWAY_PORT)",
  dashboard: "the admin dashboard (DASHBOARD_PORT)",
  "verify-worker": "a target model verifying drafted windows (MODEL_PATH)",
  "draft-worker": "a draft model proposing tokens (MODEL_PATH)",
} as const;

export type ServedActor = keyof typeof SERVED_ACTORS;

export const SERVED_ACTOR_NAMES = Object.keys(SERVED_ACTORS) as ServedActor[];

export function isServedActor(name: string): name is ServedActor {
  return Object.hasOwn(SERVED_ACTORS, name);
}

/** An actor name `specfleet serve` does not know; the message lists those it does. */
export class UnknownActorError extends Error {
  constructor(readonly actor: string) {
    super(`unknown actor '${actor}': specfleet serve runs one of ${SERVED_ACTOR_NAMES.join(", ")}`);
    this.name = "UnknownActorError";
  }
}

/**
 * The compiled entry point of `actor`, found from this file's own place in dist/ (dist/cli/serve/),
 * never from the working directory: a container or a unit may start the CLI from anywhere.
 */
export function actorEntry(actor: string, distDir = distDirOfCli()): string {
  if (!isServedActor(actor)) throw new UnknownActorError(actor);
  return join(distDir, "services", actor, "src", "main.js");
}

/** dist/, two folders above this compiled file (dist/cli/serve/actors.js). */
function distDirOfCli(): string {
  return dirname(dirname(dirname(fileURLToPath(import.meta.url))));
}
