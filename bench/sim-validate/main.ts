import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { defaultModelPath, projectRoot } from "#infra";
import { createLlama, loadModel, tokenizePrompt } from "#llama";
import { ensureDerivedModel, RECIPES } from "#models";
import { drafterProfileSchema, simulate, verifierProfileSchema } from "#sim";
import { PROMPTS } from "../../test/support/fleet.js";
import { printTable } from "../support/report.js";
import { profileDevice } from "../../cli/profile/measure.js";
import { equivalentConfig, measureOverheads } from "./model-inputs.js";
import { realMetrics, runRealFleet, type RealRun, type Workload } from "./real-run.js";

/**
 * DSD-Sim against a real local fleet: profile the devices, run a closed-loop workload on one
 * verifier (the widened w1024 target) and two drafters (the tiny model) at a fixed window,
 * then simulate the same fleet from the profiles, the measured per-round overheads, the broker
 * round trip and the measured acceptance. Fails when a metric is off by more than the tolerance.
 */
const args = await yargs(hideBin(process.argv))
  .option("clients", { type: "number", default: 4 })
  .option("requests", { type: "number", default: 24, describe: "per client" })
  .option("max-tokens", { type: "number", default: 64 })
  .option("drafters", { type: "number", default: 2 })
  .option("tolerance", { type: "number", default: 0.15, describe: "largest relative error allowed" })
  .option("replay", {
    type: "string",
    describe: "simulate the measured run saved in this real-run.json again instead of profiling and running the fleet",
  })
  .strict()
  .parseAsync();

const WINDOW = 4;
const MAX_SESSIONS = 4;
const out = join(projectRoot(), ".cache", "bench-logs", "sim-validate");
await mkdir(out, { recursive: true });
const model = "stories260K-w1024";
const step = (text: string) => process.stderr.write(`  ${text}\n`);

const saved = args.replay ? (JSON.parse(await readFile(args.replay, "utf8")) as Measured) : await measure();
const { verifier, drafter, workload, promptTokens, drafters, run } = {
  ...saved,
  verifier: verifierProfileSchema.parse(saved.verifier),
  drafter: drafterProfileSchema.parse(saved.drafter),
};
const real = realMetrics(run.requests);

const overheads = measureOverheads(run, verifier, drafter);
const config = equivalentConfig(
  {
    workload,
    drafters,
    window: WINDOW,
    maxSessions: MAX_SESSIONS,
    promptTokens: run.requests.map((_, n) => promptTokens[n % promptTokens.length]!),
    outputTokens: run.requests.map((r) => r.outputTokens),
  },
  run,
  verifier,
  drafter,
  overheads,
);
const summary = simulate(config);
await writeFile(join(out, "overheads.json"), `${JSON.stringify({ real, overheads }, null, 2)}\n`);
await writeFile(join(out, "sim-config.json"), `${JSON.stringify(config, null, 2)}\n`);
if (!args.replay) await writeFile(join(out, "real-run.json"), `${JSON.stringify(saved)}\n`);
await writeFile(join(out, "sim-summary.json"), `${JSON.stringify(summary, null, 2)}\n`);

const rows: Array<[string, number, number]> = [
  ["throughput, tokens/s", real.tokensPerSecond, summary.throughput.tokensPerSecond],
  ["mean TTFT, ms", real.ttftMs, summary.ttftMs.mean],
  ["mean time per output token, ms", real.tpotMs, summary.tpotMs.mean],
];
const errors = rows.map(([, r, s]) => Math.abs(s - r) / r);
const acceptedPerRound =
  run.rounds.filter((r) => r.window === WINDOW).reduce((s, r) => s + r.accepted, 0) /
  Math.max(1, run.rounds.filter((r) => r.window === WINDOW).length);
printTable(
  "Model inputs",
  ["input", "value"],
  [
    [
      "verifier pass, 1 / 5 / 17 / 33 tokens, ms",
      [1, 5, 17, 33].map((n) => verifier.verifyMsByTokens.find((p) => p.tokens === n)?.ms.toFixed(1)).join(" / "),
    ],
    ["verifier prefill, ms/token", verifier.prefillMsPerToken.toFixed(2)],
    [
      "drafter, ms/drafted token; prefill ms/token",
      `${drafter.draftMsPerToken.toFixed(3)}; ${drafter.prefillMsPerToken.toFixed(3)}`,
    ],
    ["broker round trip (link rttMs), ms", run.natsRttMs.toFixed(3)],
    ["verifier batchOverheadMs (forming the batch, event loop)", overheads.verifierBatchMs.toFixed(2)],
    ["verifier roundOverheadMs (journal, reply)", overheads.verifierRoundMs.toFixed(2)],
    [
      "drafter roundOverheadMs (its loop + message excess)",
      `${overheads.drafterRoundMs.toFixed(2)} + ${overheads.messagesMs.toFixed(2)}`,
    ],
    [
      `acceptance histogram at γ=${WINDOW} (k = 0…${WINDOW})`,
      `[${config.drafters[0]!.acceptance!.kind === "histogram" ? config.drafters[0]!.acceptance!.counts.join(", ") : ""}] (${acceptedPerRound.toFixed(2)} accepted/round, ${overheads.rounds} rounds)`,
    ],
  ],
);
printTable(
  "DSD-Sim against the real fleet",
  ["metric", "real", "sim", "relative error"],
  rows.map(([name, r, s], i) => [name, r.toFixed(2), s.toFixed(2), `${(100 * errors[i]!).toFixed(1)}%`]),
);
console.log(`inputs and outputs: ${out}/{sim-config,real-run,sim-summary}.json`);
const worst = Math.max(...errors);
if (worst > args.tolerance) {
  console.error(
    `FAIL: the simulator is off by ${(100 * worst).toFixed(1)}% (tolerance ${(100 * args.tolerance).toFixed(0)}%)`,
  );
  process.exit(1);
}
console.log(`OK: every metric within ${(100 * args.tolerance).toFixed(0)}%`);

async function countPromptTokens(modelPath: string, prompts: readonly string[]): Promise<number[]> {
  const llama = await createLlama(1);
  const loaded = await loadModel(llama, modelPath);
  try {
    return prompts.map((p) => tokenizePrompt(loaded.model, p).length);
  } finally {
    await loaded.model.dispose();
    await llama.dispose();
  }
}

/** What a run measured: the device profiles, the workload and the fleet's requests and rounds. */
interface Measured {
  verifier: unknown;
  drafter: unknown;
  workload: Workload;
  promptTokens: number[];
  drafters: number;
  run: RealRun;
}

async function measure(): Promise<Measured> {
  const source = defaultModelPath();
  step(`building the widened target ${RECIPES.w1024.describe} (cached after the first run)`);
  const target = await ensureDerivedModel(source, RECIPES.w1024, join(projectRoot(), ".cache", "models"));

  step("profiling the verifier (target) and a drafter (source), one thread each");
  const verifier = await profileDevice({ modelPath: target, role: "verifier", threads: 1, repeats: 3 });
  const drafter = await profileDevice({ modelPath: source, role: "drafter", threads: 1, repeats: 5 });

  const workload: Workload = {
    clients: args.clients,
    requestsPerClient: args.requests,
    maxTokens: args["max-tokens"],
    prompts: PROMPTS,
  };
  const promptTokens = await countPromptTokens(source, PROMPTS);
  step(
    `real fleet: 1 verifier, ${args.drafters} drafters, window ${WINDOW}, ${args.clients} clients × ${args.requests} requests of ${args["max-tokens"]} tokens`,
  );
  const run = await runRealFleet(
    {
      modelPath: source,
      verifiers: [{ id: "verifier-1", modelPath: target, modelName: model }],
      drafters: Array.from({ length: args.drafters }, (_, i) => ({ id: `drafter-${i + 1}` })),
      window: WINDOW,
      maxSessions: MAX_SESSIONS,
      logLevel: "warn",
      logDir: join(out, "logs"),
      serviceEnv: {
        scheduler: { PAIRING_POLICY: "least-loaded" },
        "draft-worker": { WINDOW_POLICY: "fixed", DRAFT_PIPELINE: "false" },
      },
    },
    model,
    workload,
    step,
  );
  return { verifier, drafter, workload, promptTokens, drafters: args.drafters, run };
}
