/**
 * sim:experiments — the DSD paper's experiments in DSD-Sim, reproduced and extended (see
 * docs/simulation.md): routing policies as drafters grow, window policies across round-trip
 * times, fused against distributed execution and where they cross. Prints markdown tables and
 * writes SVG charts into docs/simulation/.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import cliProgress from "cli-progress";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import type { PairingPolicyName } from "#pairing";
import { simConfigSchema, simulate, type SimConfigInput } from "#sim";
import type { WindowPolicyName } from "#window";
import { renderSvg, sweepChart } from "../../cli/sim/charts.js";
import { executionFleet, routingFleet, windowFleet, type ExecutionMode } from "./fleets.js";

const argv = await yargs(hideBin(process.argv))
  .scriptName("sim:experiments")
  .usage("$0 [options]\n\nThe DSD paper's experiments in DSD-Sim: tables on stdout, charts in --out.")
  .option("out", { type: "string", default: "docs/simulation", describe: "folder for the SVG charts" })
  .option("parts", { type: "string", default: "routing,window,execution", describe: "which experiments" })
  .strict()
  .help()
  .parseAsync();

type Row = Record<string, string | number>;

interface Experiment {
  name: string;
  title: string;
  x: string;
  series: string;
  runs: Array<{ x: number; series: string; config: SimConfigInput }>;
  metrics: Array<[key: string, label: string]>;
}

const ROUTING: PairingPolicyName[] = ["random", "round-robin", "shortest-queue", "load-aware"];
const WINDOWS: WindowPolicyName[] = ["fixed", "backoff", "specdec", "adaptive"];
const RTTS = [0, 10, 25, 50, 100, 200];
const EXECUTION_MODES: ExecutionMode[] = [
  { fusedDraftMs: 2 },
  { fusedDraftMs: 8 },
  { fusedDraftMs: 16 },
  "distributed",
  "distributed, SpecFleet",
];

const experiments: Experiment[] = [
  {
    name: "routing",
    title: "Routing as drafters grow (20 verifiers; half the drafters slowed and far)",
    x: "drafters",
    series: "policy",
    runs: [5, 10, 20, 40, 80].flatMap((n) =>
      ROUTING.map((policy) => ({ x: n, series: policy, config: routingFleet(n, policy) })),
    ),
    metrics: [
      ["tokensPerSecond", "tokens/s"],
      ["ttftMeanMs", "mean TTFT (ms)"],
      ["tpotMeanMs", "mean TPOT (ms)"],
      ["goodputRps", "goodput (requests/s)"],
    ],
  },
  {
    name: "window",
    title: "Window control across round-trip times (16 drafters, 4 verifiers)",
    x: "rttMs",
    series: "policy",
    runs: RTTS.flatMap((rtt) =>
      WINDOWS.map((policy) => ({
        x: rtt,
        series: policy === "fixed" ? "fixed γ=4" : policy,
        config: windowFleet(rtt, policy),
      })),
    ),
    metrics: [
      ["tpotMeanMs", "mean TPOT (ms)"],
      ["tokensPerSecond", "tokens/s"],
      ["acceptance", "acceptance"],
    ],
  },
  {
    name: "execution",
    title: "Fused vs distributed drafting, under load (4 verifiers)",
    x: "rttMs",
    series: "execution",
    runs: [0, 5, 10, 20, 40, 80, 160].flatMap((rtt) =>
      EXECUTION_MODES.map((mode) => ({
        x: rtt,
        series: typeof mode === "object" ? `fused, ${mode.fusedDraftMs} ms/step` : mode,
        config: executionFleet(rtt, mode),
      })),
    ),
    metrics: [
      ["tpotMeanMs", "mean TPOT (ms)"],
      ["ttftMeanMs", "mean TTFT (ms)"],
      ["tokensPerSecond", "tokens/s"],
      ["aloneShare", "share of rounds decoded alone"],
    ],
  },
];

mkdirSync(argv.out, { recursive: true });
const parts = new Set(argv.parts.split(","));
for (const experiment of experiments.filter((e) => parts.has(e.name))) {
  const bar = new cliProgress.SingleBar(
    { format: `  ${experiment.name} [{bar}] {value}/{total}`, stream: process.stderr, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(experiment.runs.length, 0);
  const rows: Row[] = [];
  const started = performance.now();
  for (const run of experiment.runs) {
    const s = simulate(simConfigSchema.parse(run.config));
    rows.push({
      [experiment.x]: run.x,
      [experiment.series]: run.series,
      tokensPerSecond: s.throughput.tokensPerSecond,
      goodputRps: s.goodput.requestsPerSecond,
      ttftMeanMs: s.ttftMs.mean,
      ttftP99Ms: s.ttftMs.p99,
      tpotMeanMs: s.tpotMs.mean,
      acceptance: s.acceptance.rate,
      meanUtilisation: s.verifiers.reduce((sum, v) => sum + v.utilisation, 0) / s.verifiers.length,
      aloneShare: s.acceptance.aloneRounds / Math.max(1, s.acceptance.aloneRounds + s.acceptance.speculativeRounds),
    });
    bar.increment();
  }
  bar.stop();
  process.stdout.write(
    `\n### ${experiment.title}\n\n(${((performance.now() - started) / 1000).toFixed(1)} s of simulation)\n\n`,
  );
  for (const [metric, label] of experiment.metrics) {
    process.stdout.write(`${pivot(rows, experiment.x, experiment.series, metric, label)}\n\n`);
    const chart = sweepChart(rows, experiment.x, metric, experiment.title, experiment.series, label);
    writeFileSync(join(argv.out, `${experiment.name}-${metric}.svg`), await renderSvg(chart));
  }
  if (experiment.name === "execution")
    process.stdout.write(`${crossings(rows, experiment.x, experiment.series, "tpotMeanMs", "distributed")}\n\n`);
  writeFileSync(join(argv.out, `${experiment.name}.json`), `${JSON.stringify(rows, null, 2)}\n`);
}

/** A table with one row per x and one column per series. */
function pivot(rows: Row[], x: string, series: string, metric: string, label: string): string {
  const xs = [...new Set(rows.map((r) => r[x]!))];
  const names = [...new Set(rows.map((r) => String(r[series])))];
  const value = (xv: string | number, name: string) => {
    const v = rows.find((r) => r[x] === xv && r[series] === name)?.[metric];
    return typeof v === "number" ? (v < 10 ? v.toFixed(3) : v.toFixed(1)) : "";
  };
  return [
    `| ${label} — ${x} | ${names.join(" | ")} |`,
    `|---|${names.map(() => "---").join("|")}|`,
    ...xs.map((xv) => `| ${xv} | ${names.map((n) => value(xv, n)).join(" | ")} |`),
  ].join("\n");
}

/**
 * Where `reference`'s curve crosses each other series' (linear between the measured x): the
 * round trip at which distributed drafting stops beating fused, or "never" in the range.
 */
function crossings(rows: Row[], x: string, series: string, metric: string, reference: string): string {
  const curve = (name: string) =>
    rows.filter((r) => r[series] === name).map((r) => ({ x: Number(r[x]), y: Number(r[metric]) }));
  const base = curve(reference);
  const lines = [`| ${reference} vs | crosses at (${x}) |`, "|---|---|"];
  for (const name of new Set(rows.map((r) => String(r[series])))) {
    if (name === reference) continue;
    const other = curve(name);
    const d = base.map((p, i) => p.y - other[i]!.y);
    let at = "never in range";
    if (d[0]! >= 0) at = `≤ ${base[0]!.x} (${reference} never better)`;
    for (let i = 1; i < d.length && at === "never in range"; i++) {
      if (d[i - 1]! < 0 && d[i]! >= 0)
        at = (base[i - 1]!.x + ((base[i]!.x - base[i - 1]!.x) * -d[i - 1]!) / (d[i]! - d[i - 1]!)).toFixed(1);
    }
    lines.push(`| ${name} | ${at} |`);
  }
  return lines.join("\n");
}
