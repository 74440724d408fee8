/**
 * bench:draft-steps — what a greedy draft step costs on the native runner by how far into its
 * sequence it is, for the runner settings a draft model could run with, side by side in one run:
 * the draft runner's own (a KV stream per sequence, no flash attention, an f32 cache), flash
 * attention with an f16 cache (llama.cpp's choice, the draft runner's before), and the verify
 * runner's (one KV cache, flash attention). Each repeat drafts a sequence from a prompt to
 * `--positions` in windows of `--window` on every setting, in rotated order; the table gives
 * median ms per drafted token by range of positions, and the ratios to the draft runner's.
 */
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { defaultModelPath } from "#infra";
import {
  createLlama,
  loadModel,
  NativeModel,
  nativeUnavailable,
  tokenizePrompt,
  type NativeModelOptions,
  type NativeRunnerSettings,
} from "#llama";
import { PROMPTS } from "../../test/support/fleet.js";
import { median, printTable } from "../support/report.js";

const argv = await yargs(hideBin(process.argv))
  .scriptName("bench:draft-steps")
  .usage("$0 [options]\n\nms per greedy draft token on the native runner, by position, for each runner setting.")
  .option("model", { type: "string", default: defaultModelPath(), describe: "the draft model" })
  .option("positions", { type: "number", default: 320, describe: "draft each sequence up to this position" })
  .option("window", { type: "number", default: 32, describe: "tokens drafted per call (one window)" })
  .option("sessions", { type: "number", default: 1, describe: "sequences drafted in lockstep (one decode per step)" })
  .option("threads", {
    type: "number",
    default: 1,
    describe: "threads of the runner (the fused verifier's draft model: 1)",
  })
  .option("repeats", { type: "number", default: 5, describe: "sequences drafted per setting, in rotated order" })
  .strict()
  .help()
  .parseAsync();

interface Setting {
  label: string;
  use: NativeModelOptions["use"];
  settings?: Partial<NativeRunnerSettings>;
}

const SETTINGS: readonly Setting[] = [
  { label: "draft runner: a stream per sequence, no flash attention, f32 cache", use: "draft" },
  {
    label: "a stream per sequence, flash attention, f16 cache (before)",
    use: "draft",
    settings: { flashAttention: true, kvCacheF32: false },
  },
  { label: "the verify runner's: one cache, flash attention, f16 cache", use: "verify" },
];
/** Positions are reported in this many ranges. */
const RANGES = 8;

const unavailable = nativeUnavailable();
if (unavailable) {
  console.error(`bench:draft-steps: ${unavailable}`);
  process.exit(1);
}
const llama = await createLlama(argv.threads);
const { model } = await loadModel(llama, argv.model); // loads the compute backends the runner uses
const prompt = tokenizePrompt(model, PROMPTS[0]!);
const runners = SETTINGS.map((s) =>
  NativeModel.load(argv.model, {
    contextSize: argv.positions + argv.window + 8,
    sequences: argv.sessions,
    threads: argv.threads,
    use: s.use,
    ...(s.settings ? { settings: s.settings } : {}),
  }),
);
const say = (line: string) => process.stderr.write(`bench:draft-steps: ${line}\n`);
say(`${SETTINGS.length} settings × ${argv.repeats} repeats, positions ${prompt.length}–${argv.positions}`);

/** ms per drafted token, by range of positions, per setting: [setting][range] → one value per repeat. */
const perRange = SETTINGS.map(() => Array.from({ length: RANGES }, () => [] as number[]));
const whole = SETTINGS.map(() => [] as number[]);
const drafted = SETTINGS.map(() => new Set<string>());
const rangeOf = (position: number) =>
  Math.min(RANGES - 1, Math.floor(((position - prompt.length) / (argv.positions - prompt.length)) * RANGES));

for (let repeat = 0; repeat < argv.repeats; repeat++) {
  for (let k = 0; k < SETTINGS.length; k++) {
    const i = (k + repeat) % SETTINGS.length;
    const sums = Array.from({ length: RANGES }, () => ({ ms: 0, tokens: 0 }));
    const sequences = await Promise.all(
      Array.from({ length: argv.sessions }, () => runners[i]!.openDraft(prompt, () => false)),
    );
    const tokens: number[] = [];
    let total = 0;
    while (sequences[0]!.position < argv.positions) {
      const at = sequences[0]!.position;
      const started = performance.now();
      const windows = await Promise.all(sequences.map((s) => s.draft(argv.window)));
      const ms = performance.now() - started;
      total += ms;
      const range = sums[rangeOf(at)]!;
      range.ms += ms;
      range.tokens += argv.window * argv.sessions;
      await Promise.all(sequences.map((s, j) => s.commit(s.position, windows[j]!.tokens)));
      tokens.push(...windows[0]!.tokens);
    }
    await Promise.all(sequences.map((s) => s.dispose()));
    sums.forEach((r, range) => r.tokens > 0 && perRange[i]![range]!.push(r.ms / r.tokens));
    whole[i]!.push(total / (tokens.length * argv.sessions));
    drafted[i]!.add(tokens.join(","));
    say(`repeat ${repeat + 1}: ${SETTINGS[i]!.label}: ${whole[i]!.at(-1)!.toFixed(3)} ms a token`);
  }
}
runners.forEach((r) => r.close());

const header = [
  "positions",
  ...SETTINGS.map((s, i) => (i === 0 ? `${s.label}, ms` : `${s.label}, ms (× draft runner)`)),
];
const row = (label: string, values: number[][]) => {
  const base = median(values[0]!);
  return [
    label,
    ...values.map((v, i) =>
      i === 0 ? base.toFixed(3) : `${median(v).toFixed(3)} (${(median(v) / base).toFixed(2)}×)`,
    ),
  ];
};
const span = (argv.positions - prompt.length) / RANGES;
const rows = Array.from({ length: RANGES }, (_, range) =>
  row(
    `${Math.round(prompt.length + range * span)}–${Math.round(prompt.length + (range + 1) * span)}`,
    perRange.map((p) => p[range]!),
  ),
);
rows.push(row("**all**", whole));
printTable(
  `bench:draft-steps, ${new Date().toISOString()}: ${argv.model}, ${argv.sessions} session(s) in lockstep, windows of ${argv.window}, ${argv.threads} thread(s), ${argv.repeats} repeats (median ms per drafted token)`,
  header,
  rows,
);
const reference = [...drafted[0]!][0];
SETTINGS.forEach((s, i) => {
  const same = drafted[i]!.size === 1 && [...drafted[i]!][0] === reference;
  console.log(
    `- ${s.label}: ${same ? "the same tokens as the draft runner in every repeat" : "OTHER tokens than the draft runner (f16 and f32 caches may part at a near tie)"}`,
  );
});
