import { mkdirSync, writeFileSync } from "node:fs";
import { basename, extname, join } from "node:path";
import cliProgress from "cli-progress";
import type { Argv } from "yargs";
import { simulate, type SimSummary } from "#sim";
import { latencyChart, renderSvg, sweepChart, utilisationChart } from "./charts.js";
import { parseValue, readRawConfig, validateConfig, withField, type RawConfig } from "./load-config.js";

/** `specfleet sim …`: DSD-Sim, the fleet simulator. */
export function simCommands(yargs: Argv): Argv {
  return yargs
    .command(
      "run <config>",
      "Simulate a fleet serving a workload; writes summary.json and SVG charts",
      (y) =>
        y
          .positional("config", {
            type: "string",
            demandOption: true,
            describe: "YAML configuration (see sim/configs/quick.yaml)",
          })
          .option("out", {
            type: "string",
            describe: "Folder for summary.json and the charts (default sim-results/<config name>)",
          })
          .option("seed", { type: "number", describe: "Overrides the configuration's seed" })
          .example("$0 sim run sim/configs/quick.yaml", "the example fleet"),
      (args) =>
        run(async () => {
          const config = readRawConfig(args.config);
          if (args.seed !== undefined) config.raw = withField(config.raw, "seed", args.seed);
          const parsed = validateConfig(config);
          const out = args.out ?? join("sim-results", nameOf(args.config));
          const summary = withBar(`simulating ${parsed.workload.requests} requests`, (onProgress) =>
            simulate(parsed, { baseDir: config.baseDir, onProgress }),
          );
          mkdirSync(out, { recursive: true });
          writeFileSync(join(out, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
          writeFileSync(
            join(out, "latency.svg"),
            await renderSvg(latencyChart(summary, `${nameOf(args.config)}: latency`)),
          );
          writeFileSync(
            join(out, "utilisation.svg"),
            await renderSvg(utilisationChart(summary, `${nameOf(args.config)}: verifier utilisation`)),
          );
          printHeadline(summary);
          process.stdout.write(`\nwrote ${join(out, "summary.json")}, latency.svg, utilisation.svg\n`);
        }),
    )
    .command(
      "sweep <config>",
      "Run the simulation once per value of one parameter; writes a table (sweep.md, sweep.json) and charts",
      (y) =>
        y
          .positional("config", { type: "string", demandOption: true, describe: "YAML configuration" })
          .option("param", {
            type: "string",
            demandOption: true,
            describe:
              "Dotted path of the field to vary, e.g. drafters.0.count, drafters.0.link.rttMs, policies.pairing",
          })
          .option("values", {
            type: "array",
            string: true,
            demandOption: true,
            describe: "Values to try (JSON if it parses: 5 10 20, or [10,30] for a range)",
          })
          .option("series", {
            type: "string",
            describe: "A second field, one line per value: --series policies.pairing=random,load-aware",
          })
          .option("out", {
            type: "string",
            describe: "Folder for the results (default sim-results/<config name>-<param>)",
          })
          .example(
            "$0 sim sweep sim/configs/quick.yaml --param drafters.0.count --values 4 8 16 32",
            "drafters from 4 to 32",
          )
          .example(
            "$0 sim sweep sim/configs/quick.yaml --param policies.pairing --values random round-robin shortest-queue load-aware",
            "the routing policies",
          ),
      (args) =>
        run(async () => {
          const config = readRawConfig(args.config);
          const values = args.values.map((v) => parseValue(String(v)));
          const series = parseSeries(args.series);
          const out = args.out ?? join("sim-results", `${nameOf(args.config)}-${args.param.replace(/\W+/g, "-")}`);
          const rows = await sweep(config, args.param, values, series);
          mkdirSync(out, { recursive: true });
          writeFileSync(join(out, "sweep.json"), `${JSON.stringify(rows, null, 2)}\n`);
          const table = sweepTable(rows, args.param, series?.field);
          writeFileSync(join(out, "sweep.md"), `${table}\n`);
          const label = (metric: string) => `${metric} vs ${args.param}`;
          for (const metric of ["tokensPerSecond", "ttftMeanMs", "tpotMeanMs", "goodputRps"]) {
            writeFileSync(
              join(out, `${metric}.svg`),
              await renderSvg(sweepChart(rows, args.param, metric, label(metric), series ? "series" : undefined)),
            );
          }
          process.stdout.write(`${table}\n\nwrote ${out}/sweep.md, sweep.json and a chart per metric\n`);
        }),
    )
    .demandCommand(
      1,
      "Say what to simulate: specfleet sim run CONFIG.yaml, or specfleet sim sweep CONFIG.yaml --param … --values …",
    );
}

export interface SweepRow extends Record<string, string | number> {
  series: string;
  tokensPerSecond: number;
  requestsPerSecond: number;
  goodputRps: number;
  ttftMeanMs: number;
  ttftP99Ms: number;
  tpotMeanMs: number;
  acceptance: number;
  meanUtilisation: number;
}

/** Runs the configuration once per value (and per series value), in order. */
export async function sweep(
  config: RawConfig,
  param: string,
  values: unknown[],
  series?: { field: string; values: unknown[] },
): Promise<SweepRow[]> {
  const runs = (series?.values ?? [undefined]).flatMap((s) => values.map((value) => ({ s, value })));
  const bar = new cliProgress.SingleBar(
    {
      format: "  sweep [{bar}] {value}/{total} runs {what}",
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(runs.length, 0, { what: "" });
  const rows: SweepRow[] = [];
  try {
    for (const { s, value } of runs) {
      bar.update({ what: `${param}=${JSON.stringify(value)}${series ? ` ${series.field}=${JSON.stringify(s)}` : ""}` });
      let raw = withField(config.raw, param, value);
      if (series) raw = withField(raw, series.field, s);
      const parsed = validateConfig({ ...config, raw });
      const summary = simulate(parsed, { baseDir: config.baseDir });
      rows.push({
        [param]: typeof value === "number" ? value : JSON.stringify(value).replace(/^"|"$/g, ""),
        series: s === undefined ? "" : String(s),
        tokensPerSecond: summary.throughput.tokensPerSecond,
        requestsPerSecond: summary.throughput.requestsPerSecond,
        goodputRps: summary.goodput.requestsPerSecond,
        ttftMeanMs: summary.ttftMs.mean,
        ttftP99Ms: summary.ttftMs.p99,
        tpotMeanMs: summary.tpotMs.mean,
        acceptance: summary.acceptance.rate,
        meanUtilisation: summary.verifiers.reduce((sum, v) => sum + v.utilisation, 0) / summary.verifiers.length,
      });
      bar.increment();
    }
  } finally {
    bar.stop();
  }
  return rows;
}

export function sweepTable(rows: SweepRow[], param: string, seriesField?: string): string {
  const columns = [
    param,
    ...(seriesField ? ["series"] : []),
    "tokensPerSecond",
    "requestsPerSecond",
    "goodputRps",
    "ttftMeanMs",
    "ttftP99Ms",
    "tpotMeanMs",
    "acceptance",
    "meanUtilisation",
  ];
  const cell = (v: string | number | undefined) =>
    typeof v === "number" ? (Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 3 : 1)) : String(v ?? "");
  const header = columns.map((c) => (c === "series" ? seriesField! : c));
  return [
    `| ${header.join(" | ")} |`,
    `|${columns.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${columns.map((c) => cell(r[c])).join(" | ")} |`),
  ].join("\n");
}

function parseSeries(text: string | undefined): { field: string; values: unknown[] } | undefined {
  if (!text) return undefined;
  const [field, list] = text.split("=", 2);
  if (!field || !list) throw new Error("--series takes FIELD=VALUE,VALUE…, e.g. policies.pairing=random,load-aware");
  return { field, values: list.split(",").map(parseValue) };
}

function withBar<T>(what: string, work: (onProgress: (done: number, total: number) => void) => T): T {
  const bar = new cliProgress.SingleBar(
    {
      format: `  ${what} [{bar}] {percentage}% {value}/{total}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(1, 0);
  try {
    return work((done, total) => {
      bar.setTotal(total);
      bar.update(done);
    });
  } finally {
    bar.stop();
  }
}

function printHeadline(s: SimSummary): void {
  const lines = [
    `requests     ${s.requests.completed} completed, ${s.requests.failed} failed, in ${(s.durationMs / 1000).toFixed(1)} s simulated`,
    `throughput   ${s.throughput.tokensPerSecond.toFixed(1)} tokens/s, ${s.throughput.requestsPerSecond.toFixed(2)} requests/s`,
    `goodput      ${s.goodput.requestsPerSecond.toFixed(2)} requests/s (${(100 * s.goodput.fraction).toFixed(1)}% within TTFT ≤ ${s.goodput.slo.ttftMs} ms, TPOT ≤ ${s.goodput.slo.tpotMs} ms)`,
    `TTFT         mean ${s.ttftMs.mean.toFixed(1)} ms, p50 ${s.ttftMs.p50.toFixed(1)}, p95 ${s.ttftMs.p95.toFixed(1)}, p99 ${s.ttftMs.p99.toFixed(1)}`,
    `TPOT         mean ${s.tpotMs.mean.toFixed(2)} ms, p50 ${s.tpotMs.p50.toFixed(2)}, p95 ${s.tpotMs.p95.toFixed(2)}, p99 ${s.tpotMs.p99.toFixed(2)}`,
    `acceptance   ${(100 * s.acceptance.rate).toFixed(1)}% of drafted tokens; ${s.acceptance.speculativeRounds} speculative rounds, ${s.acceptance.aloneRounds} alone, ${s.acceptance.handBacks} hand-backs`,
    `queue        mean ${s.queue.meanWaiting.toFixed(2)} waiting for a pair (max ${s.queue.maxWaiting}), ${s.queue.meanRoundsAtVerifiers.toFixed(2)} rounds at each verifier`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

const nameOf = (path: string) => basename(path, extname(path));

async function run(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    process.stderr.write(`specfleet sim: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
