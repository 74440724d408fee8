import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import type { WriteProgress } from "#gguf";
import { buildWithRecipe, type ModelRecipe } from "./recipes.js";

/** What a cached model was built from; a mismatch rebuilds it. */
interface BuildRecord {
  source: string;
  sourceBytes: number;
  sourceModifiedMs: number;
  spec: ModelRecipe["spec"];
}

export interface EnsureProgress {
  recipe: ModelRecipe;
  /** null once a cached copy is found. */
  write: WriteProgress | null;
}

/**
 * The model `recipe` makes from `source`, built into `cacheDir` on first use and reused after
 * (`<source>-<recipe>.gguf` with a `.json` record of what it came from). Written to a temporary
 * name and renamed, so an interrupted build never leaves a half file in the cache.
 */
export async function ensureDerivedModel(
  source: string,
  recipe: ModelRecipe,
  cacheDir: string,
  onProgress?: (p: EnsureProgress) => void,
): Promise<string> {
  const sourceStat = await stat(source).catch(() => {
    throw new Error(`no model at ${source}`);
  });
  const name = `${basename(source).replace(/\.gguf$/i, "")}-${recipe.id}`;
  const output = join(cacheDir, `${name}.gguf`);
  const recordPath = join(cacheDir, `${name}.json`);
  const wanted: BuildRecord = { source, sourceBytes: sourceStat.size, sourceModifiedMs: Math.floor(sourceStat.mtimeMs), spec: recipe.spec };
  if (existsSync(output) && (await readRecord(recordPath)) === JSON.stringify(wanted)) {
    onProgress?.({ recipe, write: null });
    return output;
  }
  await mkdir(cacheDir, { recursive: true });
  const partial = `${output}.partial-${process.pid}`;
  try {
    await buildWithRecipe(recipe, source, partial, (write) => onProgress?.({ recipe, write }));
    await rename(partial, output);
  } finally {
    await rm(partial, { force: true });
  }
  await writeFile(recordPath, JSON.stringify(wanted));
  return output;
}

async function readRecord(path: string): Promise<string | null> {
  try {
    return JSON.stringify(JSON.parse(await readFile(path, "utf8")));
  } catch {
    return null;
  }
}
