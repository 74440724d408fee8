import type { Argv } from "yargs";
import { checkHealth } from "./health.js";
import { probeEnvOf } from "./probe-target.js";
import { drainWorker } from "./worker-drain.js";

const err = (line: string) => process.stderr.write(`${line}\n`);
const out = (line: string) => process.stdout.write(`${line}\n`);

export const healthOptions = (yargs: Argv) =>
  yargs.option("ready", {
    type: "boolean",
    default: false,
    describe: "Ask /readyz (can it work now) instead of /healthz (is it alive)",
  });

/** `specfleet health [--ready]`: the image's HEALTHCHECK, and a pod's probe by hand. */
export async function healthCommand(args: { ready: boolean }): Promise<void> {
  process.exitCode = await checkHealth(probeEnvOf(process.env), args.ready, err);
}

/** `specfleet worker drain [--timeout-s N]`: a worker pod's preStop. */
export function workerCommands(yargs: Argv): Argv {
  return yargs
    .command(
      "drain",
      "Drain the worker in this container (POST /drain on its HEALTH_PORT) and wait until its sessions moved",
      (drain) =>
        drain.option("timeout-s", {
          type: "number",
          describe: "How long to wait (default: DRAIN_TIMEOUT_MS/1000 + 5)",
        }),
      async (args) => {
        const timeout = args["timeout-s"];
        if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0)) {
          err("--timeout-s: a number of seconds above 0");
          process.exitCode = 1;
          return;
        }
        process.exitCode = await drainWorker(probeEnvOf(process.env), timeout, out, err);
      },
    )
    .demandCommand(1, "Say what to do with the worker: specfleet worker drain");
}
