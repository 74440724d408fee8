import { join } from "node:path";
import type { FleetWorker } from "#infra";
import { modelNameOf, projectRoot } from "#infra";
import { resolve } from "node:path";
import { isModelUri, resolveModelLocation } from "#llama";
import { ensureDerivedModel, inspectModel, RECIPES, type ModelRecipe } from "#models";
import { writeProgress } from "./model/write-progress.js";

export interface FleetModels {
  verifiers: FleetWorker[];
  drafters: FleetWorker[];
  /** The model clients ask for. */
  modelName: string;
  /** The local file of the model the others come from (a drafter's model, `--self-draft source`). */
  source: string;
  /** One line per kind of worker, for the start-up banner. */
  description: string[];
}

/** Drafters of different kinds, in the order `--drafters N` takes them. */
const DRAFTER_KINDS: Array<{ recipe: ModelRecipe | null; device: string }> = [
  { recipe: null, device: "edge-f32" },
  { recipe: RECIPES.q4_0, device: "edge-q4_0" },
  { recipe: RECIPES.q8_0, device: "edge-q8_0" },
];

/**
 * The models of a local fleet. By default a heterogeneous one: the verifiers hold a widened
 * target (the source's function at ~25-30 ms/token) and the drafters take turns among the
 * source itself and its q4_0 and q8_0 derivatives, all built into the cache on first use.
 * `tiny` runs every worker on the source model as it is.
 */
export async function fleetModels(
  source: string,
  counts: { verifiers: number; drafters: number },
  tiny: boolean,
  modelName?: string,
): Promise<FleetModels> {
  const cacheDir = join(projectRoot(), ".cache", "models");
  const download = writeProgress("downloading the model");
  const local = await resolveModelLocation(isModelUri(source) ? source : resolve(source), cacheDir, {
    onProgress: ({ downloadedBytes, totalBytes }) =>
      download.update({
        tensor: "",
        tensorsDone: 0,
        tensorsTotal: 0,
        bytesDone: downloadedBytes,
        bytesTotal: totalBytes,
      }),
  }).finally(() => download.stop());
  if (tiny) {
    const name = modelName ?? modelNameOf(local);
    return {
      verifiers: range(counts.verifiers, "verifier").map((id) => ({ id, modelPath: local, modelName: name })),
      drafters: range(counts.drafters, "drafter").map((id) => ({
        id,
        modelPath: local,
        env: { DEVICE_CLASS: "edge-f32" },
      })),
      modelName: name,
      source: local,
      description: [`every worker: ${local}`],
    };
  }
  const build = async (recipe: ModelRecipe) => {
    const bar = writeProgress(`building ${recipe.describe}`);
    try {
      return await ensureDerivedModel(local, recipe, cacheDir, ({ write }) => write && bar.update(write));
    } finally {
      bar.stop();
    }
  };
  const unsuitable = await whyNotWidenable(local);
  if (unsuitable) {
    process.stderr.write(
      `  ${local} cannot be widened into the benchmark target (${unsuitable}): every worker runs it as it is\n`,
    );
    return fleetModels(local, counts, true, modelName);
  }
  const target = await build(RECIPES.w1024);
  const name = modelName ?? `${modelNameOf(local)}-${RECIPES.w1024.id}`;
  const drafters: FleetWorker[] = [];
  const description = [`verifiers: ${target} (${RECIPES.w1024.describe})`];
  for (const [i, id] of range(counts.drafters, "drafter").entries()) {
    const kind = DRAFTER_KINDS[i % DRAFTER_KINDS.length]!;
    const modelPath = kind.recipe ? await build(kind.recipe) : local;
    drafters.push({ id, modelPath, env: { DEVICE_CLASS: kind.device } });
    description.push(`${id}: ${modelPath} (${kind.device})`);
  }
  return {
    verifiers: range(counts.verifiers, "verifier").map((id) => ({ id, modelPath: target, modelName: name })),
    drafters,
    modelName: name,
    source: local,
    description,
  };
}

function range(count: number, prefix: string): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${i + 1}`);
}

/** The widened target is built from small f32/f16 llama models (the tiny trained one); others serve as they are. */
async function whyNotWidenable(path: string): Promise<string | null> {
  const report = await inspectModel(path);
  if (report.shape.architecture !== "llama") return `architecture ${report.shape.architecture}`;
  if (report.shape.embedding >= RECIPES.w1024.spec.widen.embd) return `already ${report.shape.embedding} wide`;
  const other = report.tensorTypes.find((t) => t.type !== "F32" && t.type !== "F16");
  if (other) return `${other.type} tensors`;
  if (report.shape.feedForward === 0 || report.shape.feedForward > RECIPES.w1024.spec.widen.ff)
    return "its feed-forward width";
  if (report.shape.blocks > RECIPES.w1024.spec.widen.layers) return `${report.shape.blocks} layers`;
  return null;
}
