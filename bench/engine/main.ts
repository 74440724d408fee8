/**
 * bench:engine (first part of issue 4's benchmark) — adaptive window control against fixed
 * γ ∈ {1, 2, 4, 8} at several round-trip times between drafter and NATS, end to end through the
 * fleet, side by side in one run. The drafter reaches NATS through a latency proxy; for each
 * latency every policy runs the same requests with a fresh drafter process, and the
 * target-only fleet (no drafter) is the baseline.
 */
import { join } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { defaultModelPath, projectRoot, startLatencyProxy } from "#infra";
import { ensureDerivedModel, RECIPES } from "#models";
import { FleetBench } from "../support/fleet-bench.js";
import { PROMPTS as TEST_PROMPTS } from "../../test/support/fleet.js";
import { printTable } from "../support/report.js";

const argv = await yargs(hideBin(process.argv))
  .scriptName("bench:engine")
  .usage("$0 [options]\n\nAdaptive vs fixed windows at several round-trip times, through the fleet.")
  .option("rtts", { type: "string", default: "0,10,50", describe: "round-trip times to add, ms (comma-separated)" })
  .option("windows", { type: "string", default: "1,2,4,8", describe: "fixed windows to compare" })
  .option("drafter", { choices: ["original", "q8_0", "q4_0"] as const, default: "q4_0" as const, describe: "drafter derived from the source" })
  .option("prompts", { type: "number", default: 3 })
  .option("max-tokens", { type: "number", default: 64 })
  .strict()
  .help()
  .parseAsync();

const PROMPTS = [...TEST_PROMPTS].slice(0, argv.prompts);
const cacheDir = join(projectRoot(), ".cache", "models");
const source = defaultModelPath();
const target = await ensureDerivedModel(source, RECIPES.w1024, cacheDir);
const drafterPath = argv.drafter === "original" ? source : await ensureDerivedModel(source, RECIPES[argv.drafter], cacheDir);
const fixed = argv.windows.split(",").map(Number);
const policies = [
  ...fixed.map((w) => ({ label: `γ=${w}`, env: { WINDOW_POLICY: "fixed", WINDOW: String(w), DRAFT_PIPELINE: "false" } })),
  { label: "adaptive", env: { WINDOW_POLICY: "adaptive", WINDOW: "4", DRAFT_PIPELINE: "false" } },
  { label: "γ=4 pipelined", env: { WINDOW_POLICY: "fixed", WINDOW: "4", DRAFT_PIPELINE: "true" } },
  { label: "adaptive pipelined", env: { WINDOW_POLICY: "adaptive", WINDOW: "4", DRAFT_PIPELINE: "true" } },
];

const fleet = await FleetBench.start(target, "bench-target", ".cache/bench-logs/engine");
const nats = new URL(fleet.natsUrl);
const proxy = await startLatencyProxy(nats.hostname, Number(nats.port), { delayMs: 0 });
const rows: string[][] = [];
try {
  await fleet.msPerToken(PROMPTS.slice(0, 1), 8); // warm-up
  for (const rtt of argv.rtts.split(",").map(Number)) {
    proxy.setProfile({ delayMs: rtt / 2 });
    const alone = await fleet.msPerToken(PROMPTS, argv["max-tokens"]);
    const tokensPerSecond: number[] = [];
    let identical = true;
    for (const [i, policy] of policies.entries()) {
      process.stderr.write(`  RTT ${rtt} ms, ${policy.label}…\n`);
      const drafter = await fleet.addDrafter(`drafter-${rtt}-${i}`, drafterPath, Number(policy.env.WINDOW), { NATS_URL: proxy.url("nats"), ...policy.env });
      const run = await fleet.msPerToken(PROMPTS, argv["max-tokens"]);
      await fleet.removeDrafter(drafter);
      identical &&= JSON.stringify(run.tokens) === JSON.stringify(alone.tokens);
      tokensPerSecond.push(1000 / run.msPerToken);
    }
    const bestFixed = Math.max(...tokensPerSecond.slice(0, fixed.length));
    const adaptive = tokensPerSecond[fixed.length]!;
    const fixed4 = tokensPerSecond[fixed.indexOf(4)];
    rows.push([
      String(rtt),
      (1000 / alone.msPerToken).toFixed(1),
      ...tokensPerSecond.map((t) => t.toFixed(1)),
      `${((adaptive / bestFixed) * 100).toFixed(1)}%`,
      fixed4 ? `${(adaptive / fixed4).toFixed(2)}×` : "-",
      identical ? "yes" : "NO",
    ]);
  }
} finally {
  await proxy.close();
  await fleet.stop();
}
printTable(
  `tokens/s through the fleet: target stories260K-w1024, drafter ${argv.drafter}, ${PROMPTS.length} prompts × ${argv["max-tokens"]} tokens, one request at a time`,
  ["RTT ms", "target-only", ...policies.map((p) => p.label), "adaptive / best fixed", "adaptive / γ=4", "identical"],
  rows,
);
