/**
 * bench:engine — issue 4's benchmark, side by side in one run: for each round-trip time
 * between the drafter and NATS (a latency proxy), target-only decoding through the fleet, fixed
 * windows, the adaptive window, and both pipelined; single-node speculation of the same models
 * in this process; and the analytic bound from the measured acceptance and costs. Every policy
 * gets a fresh drafter process warmed up by one request; runs repeat in rotated order and the
 * table reports each policy's mean over the repeats.
 */
import { join } from "node:path";
import cliProgress from "cli-progress";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import pino from "pino";
import { RoundReports, eachRound } from "#contracts";
import { defaultModelPath, projectRoot, startLatencyProxy } from "#infra";
import { createLlama, createSessionContext, loadModel } from "#llama";
import { ensureDerivedModel, RECIPES } from "#models";
import { connectNats, ContractBus } from "#transport";
import { bestWindow, RoundEstimator } from "#window";
import { decodeSpeculatively } from "../drafters/decode.js";
import { FleetBench } from "../support/fleet-bench.js";
import { PROMPTS as TEST_PROMPTS } from "../../test/support/fleet.js";
import { printTable } from "../support/report.js";

const argv = await yargs(hideBin(process.argv))
  .scriptName("bench:engine")
  .usage(
    "$0 [options]\n\nAdaptive vs fixed windows, pipelining, single-node speculation and the analytic bound, at several round-trip times, through the fleet.",
  )
  .option("rtts", { type: "string", default: "0,10,50", describe: "round-trip times to add, ms (comma-separated)" })
  .option("windows", { type: "string", default: "1,2,4,8", describe: "fixed windows to compare" })
  .option("drafter", {
    choices: ["original", "q8_0", "q4_0"] as const,
    default: "q8_0" as const,
    describe: "drafter derived from the source",
  })
  .option("prompts", { type: "number", default: 3 })
  .option("max-tokens", { type: "number", default: 64 })
  .option("repeats", { type: "number", default: 2, describe: "runs of every policy at every RTT, in rotated order" })
  .option("max-window", { type: "number", default: 12, describe: "the adaptive window's largest γ (MAX_WINDOW)" })
  .option("temperature", {
    type: "number",
    default: 0,
    describe: "sample at this temperature (lossless speculative sampling; outputs then differ run to run)",
  })
  .strict()
  .help()
  .parseAsync();

const PROMPTS = [...TEST_PROMPTS].slice(0, argv.prompts);
const cacheDir = join(projectRoot(), ".cache", "models");
const source = defaultModelPath();
const target = await ensureDerivedModel(source, RECIPES.w1024, cacheDir);
const drafterPath =
  argv.drafter === "original" ? source : await ensureDerivedModel(source, RECIPES[argv.drafter], cacheDir);
const fixed = argv.windows.split(",").map(Number);
const rtts = argv.rtts.split(",").map(Number);
const adaptiveEnv = { WINDOW_POLICY: "adaptive", WINDOW: "4", MAX_WINDOW: String(argv["max-window"]) };
const policies = [
  ...fixed.map((w) => ({
    label: `γ=${w}`,
    env: { WINDOW_POLICY: "fixed", WINDOW: String(w), DRAFT_PIPELINE: "false" },
  })),
  { label: "adaptive", env: { ...adaptiveEnv, DRAFT_PIPELINE: "false" } },
  { label: "γ=4 pipelined", env: { WINDOW_POLICY: "fixed", WINDOW: "4", DRAFT_PIPELINE: "true" } },
  { label: "adaptive pipelined", env: { ...adaptiveEnv, DRAFT_PIPELINE: "true" } },
];
const ADAPTIVE = fixed.length;
const sampling: Record<string, number> = argv.temperature > 0 ? { temperature: argv.temperature } : {};
const FIXED4_PIPELINED = fixed.length + 1;
const ADAPTIVE_PIPELINED = fixed.length + 2;

/** Single-node speculative decoding of the same models in this process, at each fixed window: tokens/s. */
async function inProcess(): Promise<Map<number, number>> {
  const llama = await createLlama(1);
  try {
    const t = await loadModel(llama, target);
    const d = await loadModel(llama, drafterPath);
    const targetContext = await createSessionContext(t.model, { sequences: 1, contextSize: 512, threads: 1 });
    const drafterContext = await createSessionContext(d.model, { sequences: 1, contextSize: 512, threads: 1 });
    const rates = new Map<number, number>();
    for (const window of fixed) {
      const run = await decodeSpeculatively(
        { model: t, context: targetContext },
        { context: drafterContext },
        PROMPTS,
        argv["max-tokens"],
        window,
        { temperature: argv.temperature, topK: 0, topP: 1, seed: 1 },
      );
      rates.set(window, (1000 * run.generated) / run.ms);
    }
    return rates;
  } finally {
    await llama.dispose();
  }
}

const mean = (values: readonly number[]) => values.reduce((s, v) => s + v, 0) / values.length;
const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(1)}%`;

const singleNode = new Map<number, number[]>();
const fleet = await FleetBench.start(target, "bench-target", ".cache/bench-logs/engine");
const nats = new URL(fleet.natsUrl);
const proxy = await startLatencyProxy(nats.hostname, Number(nats.port), { delayMs: 0 });
const nc = await connectNats(fleet.natsEndpoint, "admin", pino({ level: "silent" }), () => undefined);
let estimator = new RoundEstimator(1);
new ContractBus(nc, pino({ level: "silent" })).subscribe(
  RoundReports,
  "",
  eachRound((report) => estimator.observe(report)),
);
const results = new Map<
  number,
  { alone: number[]; policies: number[][]; bound: number; acceptance: number; boundWindow: number }
>();
let identical = true;
const bar = new cliProgress.SingleBar(
  { format: "bench:engine [{bar}] {value}/{total} runs | {step}", hideCursor: true },
  cliProgress.Presets.shades_classic,
);
bar.start(argv.repeats * (1 + rtts.length * (1 + policies.length)), 0, { step: "single node" });
try {
  await fleet.msPerToken(PROMPTS.slice(0, 1), 8); // warm-up
  for (let repeat = 0; repeat < argv.repeats; repeat++) {
    bar.update({ step: `repeat ${repeat + 1}: single node` });
    for (const [window, rate] of await inProcess()) singleNode.set(window, [...(singleNode.get(window) ?? []), rate]);
    bar.increment();
    for (const rtt of rtts) {
      proxy.setProfile({ delayMs: rtt / 2 });
      const result = results.get(rtt) ?? {
        alone: [],
        policies: policies.map(() => []),
        bound: 0,
        acceptance: 0,
        boundWindow: 0,
      };
      results.set(rtt, result);
      bar.update({ step: `repeat ${repeat + 1}, RTT ${rtt} ms: target-only` });
      const alone = await fleet.msPerToken(PROMPTS, argv["max-tokens"], sampling);
      result.alone.push(1000 / alone.msPerToken);
      bar.increment();
      estimator = new RoundEstimator(1);
      // Rotate the order every repeat, so no policy always runs first or last.
      const order = policies.map((_, i) => (i + repeat * 3) % policies.length);
      for (const i of order) {
        const policy = policies[i]!;
        bar.update({ step: `repeat ${repeat + 1}, RTT ${rtt} ms: ${policy.label}` });
        const drafter = await fleet.addDrafter(
          `drafter-${repeat}-${rtt}-${i}`,
          drafterPath,
          Number(policy.env.WINDOW),
          { NATS_URL: proxy.url("nats"), ...policy.env },
        );
        await fleet.msPerToken(PROMPTS.slice(-1), argv["max-tokens"], sampling); // the drafter's first request: warm-up, not measured
        const run = await fleet.msPerToken(PROMPTS, argv["max-tokens"], sampling);
        await fleet.removeDrafter(drafter);
        // Sampled outputs differ from run to run by design; only greedy ones must be identical.
        if (argv.temperature === 0) identical &&= JSON.stringify(run.tokens) === JSON.stringify(alone.tokens);
        result.policies[i]!.push(1000 / run.msPerToken);
        bar.increment();
      }
      // The analytic bound: the best window's expected tokens/s (Leviathan eq. 1 over the
      // round's full cost) from this repeat's measured acceptance and costs at this RTT.
      await nc.flush();
      const estimates = estimator.estimates();
      if (estimates) {
        const best = bestWindow(estimates, Math.max(argv["max-window"], ...fixed));
        result.bound += best.tokensPerSecond / argv.repeats;
        result.acceptance += estimates.acceptance / argv.repeats;
        result.boundWindow = best.window;
      }
    }
  }
} finally {
  bar.stop();
  await nc.close();
  await proxy.close();
  await fleet.stop();
}

const singleNodeBest = Math.max(...[...singleNode.values()].map(mean));
const singleNodeBestWindow = [...singleNode].find(([, rates]) => mean(rates) === singleNodeBest)?.[0];
const rows: string[][] = [];
const summary: string[][] = [];
for (const [rtt, result] of results) {
  const rates = result.policies.map(mean);
  const alone = mean(result.alone);
  const bestFixed = Math.max(...rates.slice(0, fixed.length));
  const adaptive = rates[ADAPTIVE]!;
  const fixed4 = rates[fixed.indexOf(4)];
  const best = Math.max(...rates);
  rows.push([String(rtt), alone.toFixed(1), ...rates.map((r) => r.toFixed(1))]);
  summary.push([
    String(rtt),
    pct(adaptive, bestFixed),
    fixed4 ? `${(adaptive / fixed4).toFixed(2)}×` : "-",
    `${(rates[FIXED4_PIPELINED]! / (fixed4 ?? NaN)).toFixed(2)}× / ${(rates[ADAPTIVE_PIPELINED]! / adaptive).toFixed(2)}×`,
    `${(best / alone).toFixed(2)}×`,
    `${(best / singleNodeBest).toFixed(2)}×`,
    `${result.acceptance.toFixed(2)}`,
    `${result.bound.toFixed(1)} (γ=${result.boundWindow})`,
    pct(Math.max(adaptive, rates[ADAPTIVE_PIPELINED]!), result.bound),
  ]);
}
const setting = `target stories260K-w1024, drafter ${argv.drafter}, ${argv.temperature > 0 ? `temperature ${argv.temperature}` : "greedy"}, ${PROMPTS.length} prompts × ${argv["max-tokens"]} tokens, one request at a time, mean of ${argv.repeats} repeats`;
printTable(`tokens/s through the fleet (${setting})`, ["RTT ms", "target-only", ...policies.map((p) => p.label)], rows);
printTable(
  `single-node speculation in one process, tokens/s: ${[...singleNode].map(([w, r]) => `γ=${w} ${mean(r).toFixed(1)}`).join(", ")} (best γ=${singleNodeBestWindow})`,
  [
    "RTT ms",
    "adaptive / best fixed",
    "adaptive / γ=4",
    "pipelined gain (γ=4 / adaptive)",
    "best / target-only",
    "best / single node",
    "α",
    "bound tokens/s",
    "adaptive / bound",
  ],
  summary,
);
console.log(
  argv.temperature > 0
    ? "sampled: outputs differ run to run (their distribution is the target's: test/integration/sampling*.test.ts)"
    : `output identical to target-only in every run: ${identical ? "yes" : "NO"}`,
);
