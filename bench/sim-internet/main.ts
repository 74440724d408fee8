/**
 * sim:internet — DSD-Sim at internet scale (docs/scale.md): the fleet of
 * sim/configs/internet.yaml (1,000 verifiers, 100,000 drafters in placement cells, sharded
 * scheduler) serving its requests (1,000,000 by default), then a saturation sweep: the same fleet
 * and arrival rate with 1..N scheduler shards (fewer requests per row), showing where decision
 * throughput runs out. Prints wall and CPU time, simulated events per second, and the table.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import cliProgress from "cli-progress";
import { parse } from "yaml";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { simConfigSchema, simulate, type SimConfig, type SimSummary } from "#sim";
import { saturationTable, type SweepRow } from "./table.js";

const argv = await yargs(hideBin(process.argv))
  .scriptName("sim:internet")
  .usage("$0 [options]\n\nDSD-Sim of an internet-scale fleet with a sharded scheduler, and where it saturates.")
  .option("config", { type: "string", default: "sim/configs/internet.yaml", describe: "the fleet (YAML)" })
  .option("requests", { type: "number", describe: "requests of the headline run (default: the configuration's)" })
  .option("rate", { type: "number", describe: "arrivals per second (default: the configuration's)" })
  .option("shards", { type: "number", describe: "scheduler shards of the headline run (default: the configuration's)" })
  .option("decision-ms", { type: "number", describe: "a shard's time per decision, ms (default: the configuration's)" })
  .option("sweep", {
    type: "array",
    number: true,
    default: [8, 16, 24, 32, 48, 64],
    describe: "scheduler shards of each sweep row (none: --sweep 0)",
  })
  .option("sweep-requests", { type: "number", default: 50_000, describe: "requests per sweep row" })
  .option("headline", { type: "boolean", default: true, describe: "run the headline (--no-headline: the sweep only)" })
  .strict()
  .help()
  .parseAsync();

const configPath = resolve(argv.config);
const base = simConfigSchema.parse(parse(readFileSync(configPath, "utf8")));
const withRun = (requests: number, shards: number): SimConfig => ({
  ...base,
  workload: {
    ...base.workload,
    requests,
    arrivals:
      argv.rate !== undefined && base.workload.arrivals.kind === "poisson"
        ? { kind: "poisson", ratePerSecond: argv.rate }
        : base.workload.arrivals,
  },
  scheduler: { shards, decisionMs: argv.decisionMs ?? base.scheduler.decisionMs },
});

interface Timed {
  summary: SimSummary;
  wallS: number;
  cpuS: number;
  events: number;
}

function run(config: SimConfig, label: string): Timed {
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {value}/{total} requests | {eta}s left`, hideCursor: true, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  bar.start(config.workload.requests, 0);
  let events = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const summary = simulate(config, {
    baseDir: dirname(configPath),
    onProgress: (done) => bar.update(done),
    onEnd: (end) => (events = end.events),
  });
  const wallS = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  bar.stop();
  return { summary, wallS, cpuS: (used.user + used.system) / 1e6, events };
}

const fmt = (n: number, digits = 0) => n.toLocaleString("en", { maximumFractionDigits: digits });
const out = (line = "") => process.stdout.write(`${line}\n`);
const rate = (c: SimConfig) => (c.workload.arrivals.kind === "poisson" ? c.workload.arrivals.ratePerSecond : NaN);
const drafters = base.drafters.reduce((s, g) => s + g.count, 0);
const verifiers = base.verifiers.reduce((s, g) => s + g.count, 0);

out(
  `fleet: ${fmt(verifiers)} verifiers, ${fmt(drafters)} drafters in ${base.regions} cells; pairing ${base.policies.pairing}, ${base.policies.window.policy} windows; Poisson at ${fmt(rate(withRun(1, 1)))}/s`,
);
if (argv.headline) {
  const config = withRun(argv.requests ?? base.workload.requests, argv.shards ?? base.scheduler.shards);
  const { summary: s, wallS, cpuS, events } = run(config, "headline");
  const sched = s.scheduler!;
  out(
    `\nheadline: ${fmt(config.workload.requests)} requests, ${config.scheduler.shards} shards × ${config.scheduler.decisionMs} ms a decision`,
  );
  out(
    `  wall time ${fmt(wallS, 1)} s, CPU ${fmt(cpuS, 1)} s; ${fmt(events)} events, ${fmt(events / wallS)} events/s of wall time (${fmt(events / cpuS)} per CPU second)`,
  );
  out(
    `  simulated ${fmt(s.durationMs / 1000, 1)} s; ${fmt(s.requests.completed)} completed, ${fmt(s.requests.failed)} failed; ${fmt(s.throughput.requestsPerSecond)} requests/s, ${fmt(s.throughput.tokensPerSecond)} tokens/s`,
  );
  out(
    `  TTFT ms p50 ${fmt(s.ttftMs.p50)}, p99 ${fmt(s.ttftMs.p99)}; TPOT ms mean ${fmt(s.tpotMs.mean, 1)}, p99 ${fmt(s.tpotMs.p99, 1)}; goodput ${fmt(s.goodput.fraction * 100, 1)}%`,
  );
  out(
    `  scheduler: ${fmt(sched.decisionsPerSecond)} decisions/s, shard utilisation mean ${sched.utilisation.mean}, max ${sched.utilisation.max}; decision wait ms p50 ${fmt(sched.decisionWaitMs.p50, 1)}, p99 ${fmt(sched.decisionWaitMs.p99, 1)}`,
  );
  const util = s.verifiers.reduce((sum, v) => sum + v.utilisation, 0) / Math.max(1, s.verifiers.length);
  out(
    `  verifier utilisation ${fmt(util, 3)}, drafter ${s.drafters.meanUtilisation}; acceptance ${s.acceptance.rate}; ${fmt(s.acceptance.speculativeRounds + s.acceptance.aloneRounds)} rounds`,
  );
}

const sweep = argv.sweep.filter((n): n is number => Number.isInteger(n) && n >= 1);
if (sweep.length > 0) {
  const rows: SweepRow[] = [];
  for (const shards of sweep) {
    const { summary, wallS } = run(withRun(argv.sweepRequests, shards), `${shards} shards`);
    rows.push({ shards, summary, wallS });
  }
  out(
    `\nsaturation: ${fmt(argv.sweepRequests)} requests a row at ${fmt(rate(withRun(1, 1)))}/s, ${withRun(1, 1).scheduler.decisionMs} ms a decision`,
  );
  out(saturationTable(rows, rate(withRun(1, 1))));
}
