/**
 * bench:verify — aggregate verified tokens per second on one verifier context with 1, 4 and 8
 * sessions verifying at once (their rounds merged into one decode) against the same rounds
 * verified one session at a time, side by side in one run. Each session verifies windows of
 * its own greedy continuation, so every round accepts γ and commits γ + 1 tokens.
 */
import { join } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { defaultModelPath, projectRoot } from "#infra";
import { createLlama, createSessionContext, loadModel, ModelSession, tokenizePrompt, type LoadedModel } from "#llama";
import { ensureDerivedModel, RECIPES } from "#models";
import type { LlamaContext } from "node-llama-cpp";
import { PROMPTS as TEST_PROMPTS } from "../../test/support/fleet.js";
import { printTable } from "../support/report.js";

const argv = await yargs(hideBin(process.argv))
  .scriptName("bench:verify")
  .usage("$0 [options]\n\nVerified tokens per second at 1, 4 and 8 concurrent sessions, batched vs one at a time.")
  .option("target", {
    type: "string",
    describe: "target GGUF [default: the widened stories260K-w1024, built if needed]",
  })
  .option("window", { type: "number", default: 4, describe: "γ" })
  .option("rounds", { type: "number", default: 12, describe: "rounds per session" })
  .option("threads", { type: "number", default: 1 })
  .strict()
  .help()
  .parseAsync();

const targetPath =
  argv.target ?? (await ensureDerivedModel(defaultModelPath(), RECIPES.w1024, join(projectRoot(), ".cache", "models")));
const PROMPTS = [...TEST_PROMPTS, "The sun was", "A cat sat", "Mom said"];
const llama = await createLlama(argv.threads);
const target = await loadModel(llama, targetPath);
const context = await createSessionContext(target.model, { sequences: 8, contextSize: 512, threads: argv.threads });
const tokensPerRound = argv.window + 1;
const continuations = await greedyContinuations(target, context, PROMPTS, argv.rounds * tokensPerRound + 1);

const rows: string[][] = [];
for (const sessions of [1, 4, 8]) {
  process.stderr.write(`  ${sessions} session(s)…\n`);
  const together = await verify(sessions, true);
  const oneByOne = await verify(sessions, false);
  rows.push([String(sessions), together.toFixed(1), oneByOne.toFixed(1), `${(together / oneByOne).toFixed(2)}×`]);
}
printTable(
  `verified tokens/s on ${targetPath.split("/").pop()}, γ = ${argv.window}, ${argv.rounds} rounds per session, ${argv.threads} thread(s)`,
  ["sessions", "batched (one decode per tick)", "one session at a time", "batched / sequential"],
  rows,
);
await llama.dispose();

/** Verified tokens (γ + 1 per round) per second over `sessions` sessions. */
async function verify(sessions: number, concurrently: boolean): Promise<number> {
  const open = await Promise.all(
    Array.from({ length: sessions }, (_, i) => ModelSession.open(context, tokenizePrompt(target.model, PROMPTS[i]!))),
  );
  // Prefill outside the measurement.
  for (const [i, s] of open.entries()) {
    const position = s.position;
    await s.predict([]);
    await s.commit(position, [continuations[i]![0]!]);
  }
  const run = async (i: number) => {
    const s = open[i]!;
    for (let r = 0; r < argv.rounds; r++) {
      const position = s.position;
      const offset = 1 + r * tokensPerRound;
      const draft = continuations[i]!.slice(offset, offset + argv.window);
      const predictions = await s.predict(draft);
      await s.commit(position, [...draft, predictions.at(-1)!]);
    }
  };
  const started = performance.now();
  if (concurrently) await Promise.all(open.map((_, i) => run(i)));
  else for (let i = 0; i < sessions; i++) await run(i);
  const seconds = (performance.now() - started) / 1000;
  for (const s of open) await s.dispose();
  return (sessions * argv.rounds * tokensPerRound) / seconds;
}

async function greedyContinuations(
  model: LoadedModel,
  ctx: LlamaContext,
  prompts: string[],
  length: number,
): Promise<number[][]> {
  const out: number[][] = [];
  for (const prompt of prompts) {
    const s = await ModelSession.open(ctx, tokenizePrompt(model.model, prompt));
    const tokens: number[] = [];
    while (tokens.length < length) {
      const position = s.position;
      const [next] = await s.predict([]);
      tokens.push(next!);
      await s.commit(position, [next!]);
    }
    await s.dispose();
    out.push(tokens);
  }
  return out;
}
