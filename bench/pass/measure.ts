/**
 * bench:pass's child: one process setting, measured. Loads the target, then times greedy decoding
 * one token per pass and a verify-sized pass (a window of `window` tokens after a prefix), and
 * prints one JSON line. The parent (main.ts) starts it with the setting in its environment
 * (UV_THREADPOOL_SIZE is read by Node at start) and `--prebuilt` to load node-llama-cpp's
 * prebuilt binary even where a build for this machine exists.
 */
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { getLlama, LlamaLogLevel, type ControlledEvaluateInputItem, type Token } from "node-llama-cpp";
import { tokenizePrompt } from "#llama";
import { median } from "../support/report.js";

const argv = await yargs(hideBin(process.argv))
  .option("model", { type: "string", demandOption: true })
  .option("threads", { type: "number", default: 2 })
  .option("window", { type: "number", default: 13 })
  .option("seconds", { type: "number", default: 6 })
  .option("prebuilt", { type: "boolean", default: false })
  .strict()
  .parseAsync();

const llama = await getLlama({
  gpu: false,
  maxThreads: argv.threads,
  logLevel: LlamaLogLevel.error,
  // A custom CMake option names a build folder no local build has: node-llama-cpp then loads its
  // prebuilt binary (the prebuilt one is looked up without the custom options).
  ...(argv.prebuilt ? { build: "never" as const, cmakeOptions: { SPECFLEET_BENCH_PREBUILT: "1" } } : {}),
});
const model = await llama.loadModel({ modelPath: argv.model });
const context = await model.createContext({ sequences: 1, contextSize: 512, threads: argv.threads, batchSize: 512 });
const sequence = context.getSequence();
const text =
  "Once upon a time there was a little girl named Lily. She loved to play outside in the sun. One day she went";
const tokens = tokenizePrompt(model, text);
const prefix = 20;
const next = (token: number): ControlledEvaluateInputItem => [token as Token, { generateNext: { token: true } }];

// A verify pass: `window` tokens after the prefix, every one with its prediction, then rolled back.
await sequence.controlledEvaluate(tokens.slice(0, prefix) as Token[]);
const windowTokens = tokens.slice(prefix, prefix + argv.window);
const passMs: number[] = [];
for (const until = performance.now() + (argv.seconds * 1000) / 2; performance.now() < until;) {
  const started = performance.now();
  await sequence.controlledEvaluate(windowTokens.map((t) => next(t)));
  passMs.push(performance.now() - started);
  await sequence.eraseContextTokenRanges([{ start: prefix, end: prefix + windowTokens.length }]);
}

// Greedy decoding, one token per pass, from the prefix.
const decodeMs: number[] = [];
let token = tokens[prefix - 1]!;
await sequence.eraseContextTokenRanges([{ start: prefix - 1, end: prefix }]);
for (const until = performance.now() + (argv.seconds * 1000) / 2; performance.now() < until;) {
  const started = performance.now();
  const [out] = await sequence.controlledEvaluate([next(token)]);
  decodeMs.push(performance.now() - started);
  token = out?.next?.token ?? tokens[0]!;
  if (sequence.nextTokenIndex >= 480) await sequence.eraseContextTokenRanges([{ start: prefix, end: 512 }]);
}

console.log(
  JSON.stringify({
    binary: llama.buildType,
    passMs: median(passMs),
    decodeMs: median(decodeMs),
    passes: passMs.length,
  }),
);
await context.dispose();
await model.dispose();
