/**
 * bench:pass — what one forward pass of the target costs in a SpecFleet worker's process, by the
 * process settings that decide it, side by side in one run: node-llama-cpp's prebuilt binary
 * against llama.cpp built for this machine (scripts/setup.sh), and libuv's default four threads
 * against one (UV_THREADPOOL_SIZE=1, as the fleet launcher and the chart start workers). Each
 * setting runs in its own process (Node reads UV_THREADPOOL_SIZE at start), in rotated order.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { defaultModelPath, projectRoot } from "#infra";
import { ensureDerivedModel, RECIPES } from "#models";
import { median, printTable } from "../support/report.js";

const argv = await yargs(hideBin(process.argv))
  .scriptName("bench:pass")
  .usage(
    "$0 [options]\n\nThe target's forward pass (greedy decode, and a verify window) by process setting: prebuilt vs built-here llama.cpp, UV_THREADPOOL_SIZE 4 vs 1.",
  )
  .option("threads", { type: "number", default: availableParallelism(), describe: "THREADS of the context" })
  .option("window", { type: "number", default: 13, describe: "tokens in the verify pass (γ + 1)" })
  .option("repeats", { type: "number", default: 3, describe: "runs of every setting, in rotated order" })
  .option("seconds", { type: "number", default: 6, describe: "measuring time of each run" })
  .strict()
  .help()
  .parseAsync();

interface Setting {
  label: string;
  prebuilt: boolean;
  uvThreads: number;
}
interface Result {
  binary: string;
  passMs: number;
  decodeMs: number;
}

const root = projectRoot();
const localBuilt = existsSync(join(root, "node_modules/node-llama-cpp/llama/localBuilds"));
const settings: Setting[] = [
  { label: "prebuilt, UV_THREADPOOL_SIZE=4 (Node's default)", prebuilt: true, uvThreads: 4 },
  { label: "prebuilt, UV_THREADPOOL_SIZE=1", prebuilt: true, uvThreads: 1 },
  ...(localBuilt
    ? [
        { label: "built here, UV_THREADPOOL_SIZE=4", prebuilt: false, uvThreads: 4 },
        { label: "built here, UV_THREADPOOL_SIZE=1 (a worker as SpecFleet starts it)", prebuilt: false, uvThreads: 1 },
      ]
    : []),
];
const say = (line: string) => process.stderr.write(`bench:pass: ${line}\n`);
if (!localBuilt) say("no llama.cpp built for this machine (scripts/setup.sh builds it): prebuilt rows only");

const target = await ensureDerivedModel(defaultModelPath(), RECIPES.w1024, join(root, ".cache", "models"));
const child = join(root, "dist/bench/pass/measure.js");
const results = new Map<Setting, Result[]>(settings.map((s) => [s, []]));
for (let repeat = 0; repeat < argv.repeats; repeat++) {
  for (const [i] of settings.entries()) {
    const setting = settings[(i + repeat) % settings.length]!;
    say(`repeat ${repeat + 1}/${argv.repeats}: ${setting.label}`);
    const args = [child, "--model", target, "--threads", String(argv.threads), "--window", String(argv.window)];
    args.push("--seconds", String(argv.seconds), ...(setting.prebuilt ? ["--prebuilt"] : []));
    const { stdout } = await promisify(execFile)(process.execPath, args, {
      cwd: root,
      env: { ...process.env, UV_THREADPOOL_SIZE: String(setting.uvThreads) },
    });
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!) as Result;
    if (result.binary !== (setting.prebuilt ? "prebuilt" : "localBuild"))
      throw new Error(`${setting.label}: node-llama-cpp loaded its ${result.binary} binary`);
    results.get(setting)!.push(result);
  }
}

const base = settings[0]!;
const med = (s: Setting, key: "passMs" | "decodeMs") => median(results.get(s)!.map((r) => r[key]));
console.log(`\n# bench:pass, ${new Date().toISOString()}`);
console.log(`target ${target}; ${argv.threads} threads; ${argv.repeats} repeats of ${argv.seconds} s each, rotated`);
printTable(
  "ms per forward pass (median over the repeats of each run's median)",
  [
    "setting",
    `verify pass of ${argv.window} tokens`,
    "greedy decode, 1 token",
    "verify pass vs the first",
    "decode vs the first",
  ],
  settings.map((s) => [
    s.label,
    med(s, "passMs").toFixed(1),
    med(s, "decodeMs").toFixed(1),
    `${(med(base, "passMs") / med(s, "passMs")).toFixed(2)}× faster`,
    `${(med(base, "decodeMs") / med(s, "decodeMs")).toFixed(2)}× faster`,
  ]),
);
