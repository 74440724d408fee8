import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";
import type { Argv } from "yargs";
import { actorEntry, isServedActor, SERVED_ACTORS, SERVED_ACTOR_NAMES, UnknownActorError } from "./actors.js";

/** `specfleet serve <actor>`: one actor in this process, configured by its environment (the image's command). */
export function serveOptions(yargs: Argv) {
  const width = Math.max(...SERVED_ACTOR_NAMES.map((name) => name.length));
  return yargs
    .positional("actor", {
      type: "string",
      demandOption: true,
      describe: `The actor to run: ${SERVED_ACTOR_NAMES.join(", ")}`,
    })
    .check((args) => {
      if (!isServedActor(args.actor)) throw new UnknownActorError(args.actor);
      return true;
    })
    .epilogue(
      [
        "Actors:",
        ...SERVED_ACTOR_NAMES.map((name) => `  ${name.padEnd(width)}  ${SERVED_ACTORS[name]}`),
        "",
        "Each reads its settings from environment variables (libs/config); a bad one stops it, naming the variable.",
      ].join("\n"),
    )
    .example("$0 serve registry", "the registry, from NATS_URL, REDIS_URL, …")
    .example("$0 serve verify-worker", "a verifier, from MODEL_PATH, WORKER_ID, …");
}

type ServeArgs = Awaited<ReturnType<ReturnType<typeof serveOptions>["parseAsync"]>>;

/**
 * Imports the actor's compiled main module, which boots it from `process.env`; the process then
 * lives as long as the actor does (its own signal handlers stop it).
 */
export async function serveCommand(args: ServeArgs): Promise<void> {
  const entry = actorEntry(args.actor);
  if (!existsSync(entry)) {
    process.stderr.write(`specfleet serve: ${entry} not found: build first (npx tsc -p .)\n`);
    process.exit(1);
  }
  try {
    await import(pathToFileURL(entry).href);
  } catch (error) {
    // Not yargs' failure path: that would print the usage for what is the actor's own failure.
    process.stderr.write(
      `specfleet serve ${args.actor}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  }
}
