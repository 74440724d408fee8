import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import cliProgress from "cli-progress";
import type { Argv } from "yargs";
import { projectRoot } from "#infra";
import { resolveModelLocation } from "#llama";
import { DEFAULT_ROUND_OVERHEAD_MS, profileDevice, type Role } from "./measure.js";

/** `specfleet profile`: time a model on this machine in a role and write a DSD-Sim device profile. */
export function profileOptions(yargs: Argv) {
  return yargs
    .option("model", {
      type: "string",
      demandOption: true,
      describe: "GGUF path, a model name in .cache/models (as `npm start` builds them), or an hf: URI",
    })
    .option("role", {
      choices: ["verifier", "drafter"] as const,
      demandOption: true,
      describe: "What to time: verify passes (verifier) or drafted tokens (drafter)",
    })
    .option("threads", { type: "number", default: 1, describe: "Threads llama.cpp uses (THREADS of the worker)" })
    .option("repeats", {
      type: "number",
      default: 5,
      describe: "Timed runs per point after one warm-up; the median is kept",
    })
    .option("out", { type: "string", describe: "Write the profile here (default: print the JSON to stdout)" })
    .option("round-overhead-ms", {
      type: "number",
      default: DEFAULT_ROUND_OVERHEAD_MS,
      describe:
        "Per-round cost outside the model (messages, the journal); npm run bench:sim-validate measures a local fleet's",
    })
    .check((a) => {
      if (!Number.isInteger(a.threads) || a.threads < 1)
        throw new Error("--threads must be a whole number of at least 1");
      if (!Number.isInteger(a.repeats) || a.repeats < 1)
        throw new Error("--repeats must be a whole number of at least 1");
      if (!(a["round-overhead-ms"] >= 0)) throw new Error("--round-overhead-ms must be 0 or more");
      return true;
    })
    .example(
      "$0 profile --model stories260K-w1024-febc87a7 --role verifier --out verifier.json",
      "the local fleet's widened target",
    )
    .example("$0 profile --model ../shared/models/stories260K.gguf --role drafter", "a drafter, printed");
}

type ProfileArgs = Awaited<ReturnType<ReturnType<typeof profileOptions>["parseAsync"]>>;

export async function profileCommand(args: ProfileArgs): Promise<void> {
  try {
    const cacheDir = join(projectRoot(), ".cache", "models");
    // A path as given (relative to here), else a name in the cache, else an hf: URI downloaded there.
    const modelPath = resolve(await resolveModelLocation(args.model, cacheDir));
    const bar = progressBar(`profiling ${args.role}`);
    const profile = await profileDevice({
      modelPath,
      role: args.role as Role,
      threads: args.threads,
      repeats: args.repeats,
      roundOverheadMs: args["round-overhead-ms"],
      onProgress: (done, total, step) => bar.update(done, total, step),
    }).finally(() => bar.stop());
    const json = `${JSON.stringify(profile, null, 2)}\n`;
    if (args.out) {
      await writeFile(args.out, json);
      process.stderr.write(`wrote ${args.out}\n`);
    } else process.stdout.write(json);
  } catch (error) {
    process.stderr.write(`specfleet profile: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}

/** A bar on a terminal; one line per step otherwise (CI, pipes). */
function progressBar(title: string) {
  if (!process.stderr.isTTY) {
    return {
      update: (done: number, total: number, step: string) => process.stderr.write(`  [${done}/${total}] ${step}\n`),
      stop: () => undefined,
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `  ${title} [{bar}] {value}/{total} {step}`,
      hideCursor: true,
      clearOnComplete: true,
      barsize: 24,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(1, 0, { step: "loading the model" });
  return {
    update: (done: number, total: number, step: string) => {
      bar.setTotal(total);
      bar.update(done, { step });
    },
    stop: () => bar.stop(),
  };
}
