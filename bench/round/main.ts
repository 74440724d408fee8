/**
 * bench:round — what one speculative round costs through the fleet (drafter and verifier in
 * separate processes, over loopback NATS) against the same round in one process, with the same
 * models, prompts and γ; and what security costs it: the fleet secured (a NATS credential and
 * permissions per identity, a Redis user per role: the default), open, and secured with TLS to
 * NATS; and the first fleet again with its drafter pipelined, drafting the next window while the
 * verifier works (DRAFT_PIPELINE), once sending it after the reply and once before it
 * (DRAFT_SEND_AHEAD, as `npm start` runs it). Every path runs in this one invocation,
 * interleaved (the order rotating each repeat), so the ratios are fair on a noisy machine.
 * `--drafting sent-ahead --security secured` starts only the fleet `npm start` runs: every fleet
 * started stays up beside the one measured, its background work on the same two cores.
 */
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { defaultModelPath } from "#infra";
import { PROMPTS as TEST_PROMPTS } from "../../test/support/fleet.js";
import { median, printTable, type PathRun } from "../support/report.js";
import {
  DRAFTING_MODES,
  FLEET_SECURITY_MODES,
  FleetPath,
  type DraftingMode,
  type FleetSecurityMode,
} from "./fleet-path.js";
import { InProcessPath } from "./in-process-path.js";
import { natsFloorMs } from "./nats-floor.js";
import { breakdownRows } from "./round-phases.js";

const argv = await yargs(hideBin(process.argv))
  .scriptName("bench:round")
  .usage(
    "$0 [options]\n\nms per speculative round: through the fleet over NATS (secured, open, TLS) vs in one process.",
  )
  .option("model", { type: "string", default: defaultModelPath(), describe: "GGUF used as both target and drafter" })
  .option("window", { type: "number", default: 4, describe: "γ, tokens drafted per round" })
  .option("max-tokens", { type: "number", default: 128, describe: "tokens generated per request" })
  .option("repeats", { type: "number", default: 5, describe: "interleaved repetitions of each path" })
  .option("warmup", {
    type: "number",
    default: 20,
    describe:
      "unmeasured runs of the prompts on each path first, interleaved: every process's JIT compiles its per-round code (a fleet's round got ~1.5x faster over its first ~25 runs here)",
  })
  .option("security", {
    type: "array",
    choices: FLEET_SECURITY_MODES,
    default: [...FLEET_SECURITY_MODES],
    describe: "fleets to measure: secured (credentials + permissions), open, tls (secured + TLS)",
  })
  .option("drafting", {
    type: "array",
    choices: DRAFTING_MODES,
    default: [...DRAFTING_MODES],
    describe:
      "how the fleets' drafter goes on during a verify: sequential (every --security fleet), pipelined and sent-ahead (the first --security fleet; sent-ahead is how npm start runs). Only the fleets named are started: fleets left idle beside the one measured take the cores' time",
  })
  .option("pipelined", {
    type: "boolean",
    default: true,
    describe: "--no-pipelined: the same as --drafting sequential",
  })
  .strict()
  .help()
  .parseAsync();

const prompts = [...TEST_PROMPTS];
const options = { modelPath: argv.model, window: argv.window, maxTokens: argv["max-tokens"], prompts };
const modes = FLEET_SECURITY_MODES.filter((mode) => (argv.security as string[]).includes(mode));
const drafting = (mode: DraftingMode) =>
  (argv.drafting as string[]).includes(mode) && (mode === "sequential" || argv.pipelined);

/** A path of this bench: a fleet by its security, its first fleet pipelined (two ways), or the in-process loop. */
type PathName = FleetSecurityMode | "pipelined" | "sent-ahead" | "local";

const LABELS: Record<PathName, string> = {
  secured: "fleet (2 processes, NATS loopback, credentials + permissions)",
  open: "fleet, open (no credentials)",
  tls: "fleet, credentials + permissions + TLS",
  pipelined: "fleet, pipelined: the next window drafted during the verify, sent after the reply",
  "sent-ahead": "fleet as npm start runs it: the next window drafted during the verify, sent before the reply",
  local: "in-process loop",
};

/** The breakdown's column heads. */
const COLUMNS = {
  fleet: "fleet ms/round",
  pipelined: "fleet pipelined ms/round",
  "sent-ahead": "fleet sent ahead ms/round",
  local: "in-process ms/round",
} as const;

const fleetNames = [
  ...(drafting("sequential") ? modes : []),
  ...(modes.length > 0 && drafting("pipelined") ? [`${modes[0]}, pipelined`] : []),
  ...(modes.length > 0 && drafting("sent-ahead") ? [`${modes[0]}, sent ahead`] : []),
];
process.stderr.write(
  `bench:round: starting ${fleetNames.length} fleet(s) (${fleetNames.join("; ")}; 1 verifier, 1 drafter each)…\n`,
);
const fleets = new Map<Exclude<PathName, "local">, FleetPath>();
let local: InProcessPath | undefined;
try {
  if (drafting("sequential")) for (const mode of modes) fleets.set(mode, await FleetPath.start(options, mode));
  for (const mode of ["pipelined", "sent-ahead"] as const)
    if (modes[0] !== undefined && drafting(mode)) fleets.set(mode, await FleetPath.start(options, modes[0], mode));
  local = await InProcessPath.start(options);
  process.stderr.write(`bench:round: greedy rounds drafted and verified through the ${local.engine} on both paths\n`);
  const paths = new Map<PathName, { run(): Promise<PathRun>; warm(): Promise<unknown> }>([...fleets, ["local", local]]);
  // Warm-up, interleaved: first-touch costs and JIT compilation out of the measurement. A fleet has
  // a process per actor whose per-round code V8 optimises only after many rounds; a server runs warm.
  for (let i = 0; i < Math.max(1, argv.warmup); i++) {
    for (const path of paths.values()) await path.warm();
    if ((i + 1) % 5 === 0) process.stderr.write(`  warm-up ${i + 1}/${argv.warmup}\n`);
  }

  const ms = new Map([...paths.keys()].map((name) => [name, [] as number[]]));
  /** Each repeat's per-round phases, per path: the breakdown is their median. */
  const phases = new Map([...paths.keys()].map((name) => [name, [] as Map<string, number>[]]));
  /** Each repeat's CPU ms per round by process, per path. */
  const cpu = new Map([...paths.keys()].map((name) => [name, [] as Map<string, number>[]]));
  let tokensEqual = true;
  const names = [...paths.keys()];
  for (let i = 0; i < argv.repeats; i++) {
    // The order rotates each repeat, so no path always follows another.
    const order = names.map((_, k) => names[(k + i) % names.length]!);
    const runs = new Map<string, PathRun>();
    for (const name of order) runs.set(name, await paths.get(name)!.run());
    const reference = JSON.stringify(runs.get("local")!.tokens);
    for (const [name, run] of runs) {
      ms.get(name as PathName)!.push(run.msPerRound);
      if (run.phases) phases.get(name as PathName)!.push(run.phases);
      if (run.cpu) cpu.get(name as PathName)!.push(run.cpu);
      tokensEqual &&= JSON.stringify(run.tokens) === reference;
    }
    const line = order.map((name) => `${name} ${runs.get(name)!.msPerRound.toFixed(3)}`).join(", ");
    process.stderr.write(`  repeat ${i + 1}/${argv.repeats} (ms/round): ${line}\n`);
  }

  printTable(
    `ms per round, γ = ${argv.window}, ${prompts.length} prompts × ${argv["max-tokens"]} tokens, median of ${argv.repeats}`,
    ["path", "ms/round (median)", "min", "max"],
    names.map((name) => {
      const values = ms.get(name)!;
      return [LABELS[name], median(values).toFixed(3), Math.min(...values).toFixed(3), Math.max(...values).toFixed(3)];
    }),
  );
  const ratio = (a: PathName, b: PathName) => {
    if (!ms.has(a) || !ms.has(b)) return;
    const perRepeat = ms.get(a)!.map((value, i) => value / ms.get(b)![i]!);
    const text = `${a} / ${b}: ${(median(ms.get(a)!) / median(ms.get(b)!)).toFixed(3)}× (ratio of medians)`;
    const spread = `median of per-repeat ratios ${median(perRepeat).toFixed(3)}×, range ${Math.min(...perRepeat).toFixed(3)}–${Math.max(...perRepeat).toFixed(3)}×`;
    console.log(`${text}; ${spread}`);
  };
  ratio("secured", "open");
  ratio("tls", "open");
  ratio("tls", "secured");
  const fleetName = modes[0];
  if (fleetName !== undefined && fleets.size > 0) {
    const columns = ([fleetName, "pipelined", "sent-ahead", "local"] as const).filter(
      (name) => name === "local" || fleets.has(name),
    );
    const columnHeads = columns.map((name) =>
      name === "pipelined" || name === "sent-ahead" || name === "local" ? COLUMNS[name] : COLUMNS.fleet,
    );
    printTable(
      `where a round's time goes, ms per round (median of ${argv.repeats} repeats each; fleet: ${fleetName})`,
      ["phase", ...columnHeads],
      breakdownRows(
        columns.map((name) => ({
          side: name === "local" ? ("local" as const) : ("fleet" as const),
          phases: medianPhases(phases.get(name)!),
          ms: median(ms.get(name)!),
        })),
      ),
    );
    const cpuColumns = columns.map((name) => medianPhases(cpu.get(name)!));
    const processNames = [...new Set(cpuColumns.flatMap((column) => [...column.keys()]))];
    printTable(
      `CPU per round by process, ms (user + system, every thread; median of ${argv.repeats} repeats each): ` +
        "the two cores' time a round leaves is 2 × its ms",
      ["process", ...columnHeads],
      [
        ...processNames.map((process) => [
          process,
          ...cpuColumns.map((column) => (column.has(process) ? column.get(process)!.toFixed(3) : "–")),
        ]),
        ["**all of them**", ...cpuColumns.map((column) => sum([...column.values()]).toFixed(3))],
        ["two cores' time per round", ...columns.map((name) => (2 * median(ms.get(name)!)).toFixed(3))],
      ],
    );
    const floor = await natsFloorMs([...fleets.values()][0]!.natsEndpoint());
    console.log(
      `NATS floor: a bare request-reply between two processes through this fleet's nats-server, 5 ms apart (no work at either end): ${floor.toFixed(3)} ms (median of 380)`,
    );
    const toLocal = (name: PathName, what: string) => {
      const perRepeat = ms.get(name)!.map((value, i) => value / ms.get("local")![i]!);
      console.log(
        `${what} / in-process: ${(median(ms.get(name)!) / median(ms.get("local")!)).toFixed(2)}× (ratio of medians); median of per-repeat ratios ` +
          `${median(perRepeat).toFixed(2)}×, range ${Math.min(...perRepeat).toFixed(2)}–${Math.max(...perRepeat).toFixed(2)}×`,
      );
    };
    if (fleets.has(fleetName)) toLocal(fleetName, "fleet, drafting after each reply");
    if (fleets.has("pipelined")) toLocal("pipelined", "fleet, pipelined, sent after the reply");
    if (fleets.has("sent-ahead")) toLocal("sent-ahead", "fleet, pipelined, sent before the reply (as npm start)");
    console.log(`same tokens every way: ${tokensEqual ? "yes" : "NO"}`);
  }
  if (!tokensEqual) process.exitCode = 1;
} finally {
  await local?.stop();
  for (const fleet of fleets.values()) await fleet.stop();
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** Per phase, the median over repeats. */
function medianPhases(runs: Map<string, number>[]): Map<string, number> {
  const keys = new Set(runs.flatMap((run) => [...run.keys()]));
  return new Map([...keys].map((key) => [key, median(runs.map((run) => run.get(key) ?? 0))]));
}
