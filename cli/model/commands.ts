import type { Argv } from "yargs";
import { GgufFormatError } from "#gguf";
import { deriveModel, inspectModel, widenModel, type ModelReport } from "#models";
import { writeProgress } from "./write-progress.js";

/** `specfleet model …`: inspect GGUF files and derive drafters and benchmark targets from them. */
export function modelCommands(yargs: Argv): Argv {
  return yargs
    .command(
      "inspect <file>",
      "Architecture, sizes, tensor types and vocabulary fingerprint of a GGUF model",
      (y) =>
        y
          .positional("file", { type: "string", demandOption: true, describe: "GGUF file" })
          .option("tensors", { type: "boolean", default: false, describe: "List every tensor" })
          .option("json", { type: "boolean", default: false, describe: "Print the report as JSON" }),
      (args) => run(async () => print(await inspectModel(args.file), args.tensors, args.json)),
    )
    .command(
      "derive <in> <out>",
      "A drafter from a target: quantize (q8_0, q4_0) and/or keep a subset of its layers; the vocabulary is kept",
      (y) =>
        y
          .positional("in", { type: "string", demandOption: true, describe: "source GGUF" })
          .positional("out", { type: "string", demandOption: true, describe: "GGUF to write" })
          .option("quantize", {
            choices: ["q8_0", "q4_0"] as const,
            describe: "2-D weights whose rows are a multiple of 32 long",
          })
          .option("layers", { type: "string", describe: "Layers to keep, e.g. 0,1,2,4 (renumbered from 0)" })
          .check((a) => {
            if (!a.quantize && !a.layers) throw new Error("say what to derive: --quantize and/or --layers");
            if (a.layers && !/^\d+(,\d+)*$/.test(a.layers))
              throw new Error("--layers takes layer numbers separated by commas, e.g. 0,1,2,4");
            return true;
          })
          .example("$0 model derive stories260K.gguf drafter-q4.gguf --quantize q4_0", "a q4_0 drafter")
          .example("$0 model derive stories260K.gguf drafter-L4.gguf --layers 0,1,2,4", "drop layer 3"),
      (args) =>
        run(async () => {
          const bar = writeProgress("deriving");
          const keepLayers = args.layers?.split(",").map(Number);
          await deriveModel(args.in, args.out, { quantize: args.quantize, keepLayers }, (p) => bar.update(p)).finally(
            () => bar.stop(),
          );
          await summary(args.out);
        }),
    )
    .command(
      "widen <in> <out>",
      "A benchmark target computing the same function as <in> at the cost of a bigger model (zero-padded)",
      (y) =>
        y
          .positional("in", { type: "string", demandOption: true, describe: "source GGUF (llama architecture)" })
          .positional("out", { type: "string", demandOption: true, describe: "GGUF to write" })
          .option("embd", { type: "number", demandOption: true, describe: "embedding width D (≥ the source's)" })
          .option("ff", { type: "number", demandOption: true, describe: "feed-forward width F (≥ the source's)" })
          .option("layers", { type: "number", demandOption: true, describe: "layer count L (≥ the source's)" })
          .check((a) => {
            for (const flag of ["embd", "ff", "layers"] as const) {
              if (!Number.isInteger(a[flag]) || a[flag] <= 0)
                throw new Error(`--${flag} must be a whole number above 0`);
            }
            return true;
          })
          .example(
            "$0 model widen stories260K.gguf target-w1024.gguf --embd 1024 --ff 2816 --layers 16",
            "~570 MB, ~25-30 ms/token on one core",
          ),
      (args) =>
        run(async () => {
          const bar = writeProgress("widening");
          await widenModel(args.in, args.out, { embd: args.embd, ff: args.ff, layers: args.layers }, (p) =>
            bar.update(p),
          ).finally(() => bar.stop());
          await summary(args.out);
        }),
    )
    .demandCommand(1, "Say what to do: specfleet model inspect|derive|widen (see --help)");
}

async function run(task: () => Promise<void>): Promise<void> {
  try {
    await task();
  } catch (error) {
    const message =
      error instanceof GgufFormatError ? `${error.message}` : error instanceof Error ? error.message : String(error);
    process.stderr.write(`specfleet model: ${message}\n`);
    process.exitCode = 1;
  }
}

async function summary(path: string): Promise<void> {
  const report = await inspectModel(path);
  process.stdout.write(
    `wrote ${path}: ${(report.fileBytes / 1e6).toFixed(1)} MB, ${report.shape.blocks} layers, width ${report.shape.embedding}, vocabulary ${report.vocabFingerprint}\n`,
  );
}

function print(report: ModelReport, withTensors: boolean, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(withTensors ? report : { ...report, tensors: undefined }, null, 2)}\n`);
    return;
  }
  const s = report.shape;
  const lines = [
    `${report.path}`,
    `  name              ${report.name ?? "-"}   (GGUF v${report.version}, ${(report.fileBytes / 1e6).toFixed(1)} MB, ${(report.parameters / 1e6).toFixed(2)} M parameters)`,
    `  architecture      ${s.architecture}: ${s.blocks} layers, width ${s.embedding}, feed-forward ${s.feedForward}`,
    `  attention         ${s.heads} heads (${s.headsKv} KV), head width ${s.headDim}, RMSNorm ε ${s.rmsEpsilon.toExponential(3)}`,
    `  context           ${report.contextLength ?? "-"} tokens (trained)`,
    `  vocabulary        ${report.vocabularySize} tokens, fingerprint ${report.vocabFingerprint}`,
    `  tensor types      ${report.tensorTypes.map((t) => `${t.type} ×${t.tensors} (${(t.bytes / 1e6).toFixed(2)} MB)`).join(", ")}`,
  ];
  if (withTensors)
    for (const t of report.tensors) lines.push(`    ${t.name.padEnd(28)} ${t.type.padEnd(5)} [${t.dims.join(", ")}]`);
  process.stdout.write(`${lines.join("\n")}\n`);
}
