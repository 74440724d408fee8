/**
 * bench:peer — SpecFleet next to llama.cpp's own llama-server (built from the llama.cpp source
 * node-llama-cpp ships), on the same models, prompts and cores, one stream and N concurrent:
 * llama-server target only and with each draft at each draft length, and SpecFleet's setups
 * (specfleet-setups.ts). Every setup is started afresh, warmed up and measured, in an order that
 * rotates every repeat; the table reports medians, the ratios to llama-server's best speculative
 * setting, and whether every greedy text equals llama-server's target-only one.
 */
import { spawnSync } from "node:child_process";
import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { defaultModelPath, ensureLlamaServer, projectRoot } from "#infra";
import { ensureDerivedModel, RECIPES } from "#models";
import { PROMPTS as TEST_PROMPTS } from "../../test/support/fleet.js";
import { FIXTURE_PROMPTS } from "../../test/fixtures/llama-server/fixtures.js";
import { printTable } from "../support/report.js";
import { describeTie, DivergenceProbe } from "./divergence.js";
import { DEFAULT_N_MAX, llamaServerSetups } from "./llama-setups.js";
import { runLoad, warmUp } from "./load.js";
import { NEIGHBOUR_HEADER, neighbourRow, runNeighbour } from "./neighbour.js";
import { PAIRED_HEADER, pairedRow, runPaired } from "./paired.js";
import { bestSpeculative, printPeerReport, textDivergences, type Failure, type Measurement } from "./report.js";
import type { PeerModels, PeerSetup } from "./setup.js";
import { specFleetSetups } from "./specfleet-setups.js";

const argv = await yargs(hideBin(process.argv))
  .scriptName("bench:peer")
  .usage(
    "$0 [options]\n\nSpecFleet next to llama.cpp's llama-server: same models (stories260K-w1024 target; stories260K and q4_0 drafts), prompts, greedy tokens and cores.",
  )
  .option("cores", {
    type: "number",
    default: availableParallelism(),
    describe:
      "CPU cores for each side: llama-server -t N; SpecFleet --threads N (a budget). Fewer than the machine's: the bench re-runs itself pinned to cores 0..N-1 (taskset)",
  })
  .option("concurrency", { type: "string", default: "1,4", describe: "requests in flight at once, comma-separated" })
  .option("n-max", {
    type: "string",
    default: `${DEFAULT_N_MAX},8,12,16,32,64`,
    describe: "llama-server --spec-draft-n-max values to try per draft (its default is 3)",
  })
  .option("repeats", { type: "number", default: 3, describe: "measurements of every setup, in rotated order" })
  .option("prompts", { type: "number", default: 8, describe: "prompts per measurement (at most 8)" })
  .option("max-tokens", { type: "number", default: 128, describe: "greedy tokens per prompt" })
  .option("only", { type: "string", describe: "run only the setups whose label matches this regular expression" })
  .option("paired", {
    type: "number",
    default: 0,
    describe:
      "then, for each speculative SpecFleet setup: it and llama-server's best one-stream setting up at once, this many rounds of single requests alternated (what each does per request, beside the same idle processes)",
  })
  .option("neighbour", {
    type: "number",
    default: 0,
    describe:
      "then, for each speculative SpecFleet setup: llama-server's best one-stream setting serves the prompts alone and beside that fleet left idle, this many rounds (what an idle fleet costs the process beside it)",
  })
  .strict()
  .help()
  .parseAsync();

/** The test prompts, and three of llama-server's fixture prompts (a blank line, a tab, digits). */
const ALL_PROMPTS = [...TEST_PROMPTS, ...[6, 7, 9].map((i) => FIXTURE_PROMPTS[i]!)];
const prompts = ALL_PROMPTS.slice(0, argv.prompts);
const concurrencies = argv.concurrency.split(",").map(Number);
const nMaxes = argv["n-max"].split(",").map(Number);
const logDir = join(projectRoot(), ".cache", "bench-logs", "peer");
const say = (line: string) => process.stderr.write(`bench:peer: ${line}\n`);

if (argv.cores < availableParallelism()) pinAndRerun(argv.cores);
if (argv.cores > availableParallelism())
  say(`warning: --cores ${argv.cores} exceeds the ${availableParallelism()} cores this process may use`);

const build = await ensureLlamaServer();
const cacheDir = join(projectRoot(), ".cache", "models");
const source = defaultModelPath();
const models: PeerModels = {
  source,
  target: await ensureDerivedModel(source, RECIPES.w1024, cacheDir),
  drafts: [
    { name: "stories260K", path: source },
    { name: "q4_0", path: await ensureDerivedModel(source, RECIPES.q4_0, cacheDir) },
  ],
};
const only = argv.only === undefined ? undefined : new RegExp(argv.only);
const setups = [...llamaServerSetups(build.binary, models, nMaxes), ...specFleetSetups(models)].filter(
  (s) => only === undefined || only.test(s.label) || s.label === "llama-server target only",
);
const loadBefore = loadavg();
const started = new Date();
say(`llama-server ${build.llamaCppDescribe} (${build.server}); ${setups.length} setups × ${argv.repeats} repeats`);

const measurements: Measurement[] = [];
const failures: Failure[] = [];
let done = 0;
const total = argv.repeats * setups.length;
for (let repeat = 0; repeat < argv.repeats; repeat++) {
  const order = setups.map((_, i) => setups[(i + repeat) % setups.length]!);
  for (const setup of order) {
    say(`[${++done}/${total}] repeat ${repeat + 1}: ${setup.label}`);
    try {
      await measure(setup, repeat, measurements);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      failures.push({ setup, repeat, error: message.split("\n")[0]! });
      say(`  failed: ${message}`);
    }
  }
}

console.log(`\n# bench:peer, ${started.toISOString()}`);
console.log(
  `llama-server: ${build.server}; llama.cpp ${build.llamaCppDescribe} (${build.llamaCppCommit}), node-llama-cpp release ${build.nodeLlamaCppRelease}`,
);
console.log(
  `target ${models.target}; drafts ${models.drafts.map((d) => d.path).join(", ")}; ${prompts.length} prompts × ${argv["max-tokens"]} greedy tokens; ${argv.cores} cores each side; ${argv.repeats} repeats, order rotating`,
);
console.log(
  `load average before ${loadBefore.map((l) => l.toFixed(2)).join(" ")}, after ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")} (machine cores: ${availableParallelism()})`,
);
const divergences = textDivergences(measurements);
if (divergences !== "no reference" && divergences.length > 0) {
  say(`explaining ${divergences.length} greedy text(s) that differ: the target's two best tokens where they part`);
  const probe = await DivergenceProbe.open(models.target);
  const explained = new Map<string, string>(); // the same departure, seen in several runs, decoded once
  for (const d of divergences) {
    const key = `${d.prompt} ${d.at}`;
    if (!explained.has(key))
      explained.set(key, describeTie(await probe.margin(prompts[d.prompt]!, d.at, argv["max-tokens"])));
    d.explanation = explained.get(key);
  }
  await probe.close();
}
printPeerReport(measurements, failures, setups, concurrencies, prompts, divergences);
const context = { cores: argv.cores, logDir };
const shape = `${prompts.length} prompts × ${argv["max-tokens"]} tokens`;
if (argv.paired > 0)
  await compareWithBest(
    "Paired",
    `Paired, one stream: both servers up at once, single requests alternated (${argv.paired} rounds × ${shape}); speed = llama-server's ms per request / SpecFleet's`,
    PAIRED_HEADER,
    async (setup, best) => pairedRow(await runPaired(setup, best, prompts, argv["max-tokens"], argv.paired, context)),
  );
if (argv.neighbour > 0)
  await compareWithBest(
    "Neighbour",
    `Neighbour, one stream: llama-server alone and beside an idle SpecFleet, alternated (${argv.neighbour} rounds × ${shape}); cost = its ms per request beside / alone`,
    NEIGHBOUR_HEADER,
    async (setup, best) =>
      neighbourRow(await runNeighbour(setup, best, prompts, argv["max-tokens"], argv.neighbour, context)),
  );

/**
 * Starts a setup (a llama-server per concurrency, one fleet for all), warms it up, measures it;
 * each measurement goes into `results` as soon as it is made (a later failure keeps it).
 */
async function measure(setup: PeerSetup, repeat: number, results: Measurement[]): Promise<void> {
  const perConcurrency = setup.side === "llama-server";
  const rounds = perConcurrency ? concurrencies.map((c) => [c]) : [concurrencies];
  for (const round of rounds) {
    const server = await setup.start({ cores: argv.cores, concurrency: Math.max(...round), logDir });
    try {
      await warmUp(server, prompts, Math.max(...round));
      for (const concurrency of round) {
        const run = await runLoad(server, prompts, argv["max-tokens"], concurrency);
        say(`  ${concurrency} at a time: ${run.tokensPerSecond.toFixed(1)} tok/s (${run.tokens} tokens)`);
        results.push({ setup, concurrency, repeat, ...run });
      }
    } finally {
      await server.stop();
    }
  }
}

/**
 * For each speculative SpecFleet setup, one comparison with llama-server's best one-stream setting
 * (`--paired`: paired.ts; `--neighbour`: neighbour.ts), a row each, printed as one table.
 */
async function compareWithBest(
  name: string,
  title: string,
  header: string[],
  compare: (setup: PeerSetup, best: PeerSetup) => Promise<string[]>,
): Promise<void> {
  const best = bestSpeculative(measurements, setups, 1);
  if (best === undefined) {
    console.log(`\n${name}: no llama-server speculative setting was measured at one stream to compare with`);
    return;
  }
  const rows: string[][] = [];
  for (const setup of setups.filter((s) => s.side === "specfleet" && s.speculative)) {
    say(`${name.toLowerCase()}: ${setup.label} and ${best.setup.label}`);
    try {
      rows.push(await compare(setup, best.setup));
    } catch (error) {
      say(`  failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  printTable(title, header, rows);
}

/** Runs this bench again pinned to cores 0..n-1, so that both sides get the same n cores, and exits with it. */
function pinAndRerun(cores: number): never {
  const taskset = spawnSync("taskset", ["--version"]);
  if (taskset.error !== undefined) {
    say(`taskset not found: cannot pin to ${cores} cores (apt-get install util-linux); both sides may use them all`);
    process.exit(1);
  }
  say(`pinning to cores 0-${cores - 1} (taskset)`);
  const child = spawnSync("taskset", ["-c", `0-${cores - 1}`, process.execPath, ...process.argv.slice(1)], {
    stdio: "inherit",
  });
  process.exit(child.status ?? 1);
}
