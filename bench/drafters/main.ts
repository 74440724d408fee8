/**
 * bench:drafters — for each derived drafter against its target: greedy acceptance rate, the
 * drafter's ms per token, and the speedup of speculative decoding over the target alone,
 * measured side by side in one run (the target-only baseline is re-measured next to each
 * drafter). Output is identical to the target alone by construction; the run checks it.
 */
import { join } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { defaultModelPath, projectRoot } from "#infra";
import { createLlama, createSessionContext, loadModel } from "#llama";
import { ensureDerivedModel, RECIPES, type ModelRecipe } from "#models";
import { PROMPTS as TEST_PROMPTS } from "../../test/support/fleet.js";
import { printTable } from "../support/report.js";
import { decodeAlone, decodeSpeculatively, draftSpeed } from "./decode.js";
import { FleetBench } from "../support/fleet-bench.js";

const argv = await yargs(hideBin(process.argv))
  .scriptName("bench:drafters")
  .usage("$0 [options]\n\nAcceptance, drafter speed and speedup of derived drafters against their targets.")
  .option("model", {
    type: "string",
    default: defaultModelPath(),
    describe: "the source model; drafters and the wide target derive from it",
  })
  .option("window", { type: "number", default: 4, describe: "γ" })
  .option("max-tokens", { type: "number", default: 96, describe: "tokens per prompt" })
  .option("prompts", { type: "number", default: 3, describe: "how many of the built-in prompts" })
  .option("targets", { type: "string", default: "source,w1024", describe: "comma-separated: source, w1024" })
  .option("fleet", {
    type: "boolean",
    default: true,
    describe: "also measure end to end through a fleet (verifier and drafter processes over NATS) on the last target",
  })
  .strict()
  .help()
  .parseAsync();

const PROMPTS = [...TEST_PROMPTS].slice(0, argv.prompts);
const cacheDir = join(projectRoot(), ".cache", "models");
const build = (recipe: ModelRecipe) => ensureDerivedModel(argv.model, recipe, cacheDir);
const drafters: Array<{ label: string; path: string }> = [
  { label: "original (f32)", path: argv.model },
  { label: "q8_0", path: await build(RECIPES.q8_0) },
  { label: "q4_0", path: await build(RECIPES.q4_0) },
  { label: "4 of 5 layers", path: await build(RECIPES.L4of5) },
  { label: "2 of 5 layers", path: await build(RECIPES.L2of5) },
];
const targets: Array<{ label: string; path: string }> = [];
for (const name of argv.targets.split(",")) {
  if (name === "source") targets.push({ label: "stories260K (source)", path: argv.model });
  else if (name === "w1024") targets.push({ label: "stories260K-w1024 (widened)", path: await build(RECIPES.w1024) });
  else throw new Error(`unknown target '${name}': use source and/or w1024`);
}

const llama = await createLlama(1);
let identical = true;
try {
  for (const targetSpec of targets) {
    const target = await loadModel(llama, targetSpec.path);
    const targetContext = await createSessionContext(target.model, { sequences: 1, contextSize: 512, threads: 1 });
    const rows: string[][] = [];
    for (const drafterSpec of drafters) {
      process.stderr.write(`  ${targetSpec.label} ← ${drafterSpec.label}…\n`);
      const drafter = await loadModel(llama, drafterSpec.path);
      const drafterContext = await createSessionContext(drafter.model, { sequences: 1, contextSize: 512, threads: 1 });
      const alone = await decodeAlone(target, targetContext, PROMPTS, argv["max-tokens"]);
      const spec = await decodeSpeculatively(
        { model: target, context: targetContext },
        { context: drafterContext },
        PROMPTS,
        argv["max-tokens"],
        argv.window,
      );
      const draftMs = await draftSpeed(drafter, drafterContext, PROMPTS, argv.window, 10);
      const same = JSON.stringify(alone.tokens) === JSON.stringify(spec.tokens);
      identical &&= same;
      rows.push([
        drafterSpec.label,
        (spec.accepted / spec.drafted).toFixed(3),
        draftMs.toFixed(3),
        (alone.ms / alone.generated).toFixed(2),
        (spec.ms / spec.generated).toFixed(2),
        `${(alone.ms / spec.ms).toFixed(2)}×`,
        same ? "yes" : "NO",
      ]);
      await drafterContext.dispose();
      await drafter.model.dispose();
    }
    printTable(
      `target ${targetSpec.label}, γ = ${argv.window}, ${PROMPTS.length} prompts × ${argv["max-tokens"]} tokens, one thread each, in one process`,
      [
        "drafter",
        "acceptance",
        "drafter ms/token",
        "target-only ms/token",
        "speculative ms/token",
        "speedup",
        "identical",
      ],
      rows,
    );
    await targetContext.dispose();
    await target.model.dispose();
  }
} finally {
  await llama.dispose();
}
if (argv.fleet) await measureFleet(targets.at(-1)!);

/** The same drafters end to end: gateway, scheduler, verifier and drafter processes over NATS. */
async function measureFleet(targetSpec: { label: string; path: string }): Promise<void> {
  const modelName = "bench-target";
  const fleet = await FleetBench.start(targetSpec.path, modelName, ".cache/bench-logs/drafters");
  const rows: string[][] = [];
  try {
    await fleet.msPerToken(PROMPTS.slice(0, 1), 16); // warm-up
    for (const [i, drafterSpec] of drafters.entries()) {
      process.stderr.write(`  fleet: ${targetSpec.label} ← ${drafterSpec.label}…\n`);
      const alone = await fleet.msPerToken(PROMPTS, argv["max-tokens"]);
      const drafter = await fleet.addDrafter(`drafter-${i + 1}`, drafterSpec.path, argv.window);
      const spec = await fleet.msPerToken(PROMPTS, argv["max-tokens"]);
      await fleet.removeDrafter(drafter);
      const same = JSON.stringify(alone.tokens) === JSON.stringify(spec.tokens);
      identical &&= same;
      rows.push([
        drafterSpec.label,
        alone.msPerToken.toFixed(2),
        spec.msPerToken.toFixed(2),
        `${(alone.msPerToken / spec.msPerToken).toFixed(2)}×`,
        same ? "yes" : "NO",
      ]);
    }
  } finally {
    await fleet.stop();
  }
  printTable(
    `end to end through the fleet: target ${targetSpec.label}, γ = ${argv.window}, ${PROMPTS.length} prompts × ${argv["max-tokens"]} tokens, requests one at a time`,
    ["drafter", "target-only ms/token (fleet)", "speculative ms/token (fleet)", "speedup", "identical"],
    rows,
  );
}

if (!identical) {
  console.error("speculative output differed from the target alone: a bug");
  process.exitCode = 1;
}
