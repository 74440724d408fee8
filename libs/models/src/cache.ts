import { existsSync } from "node:fs";
import { createHash } from "node:crypto";
import { mkdir, readFile, realpath, stat, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import type { WriteProgress } from "#gguf";
import { buildWithRecipe, type ModelRecipe } from "./recipes.js";

/**
 * Bump when derive, widen or quantization change what they write: cached models built by an
 * older builder are rebuilt.
 */
export const BUILDER_VERSION = 2;

/** What a cached model was built from; a mismatch rebuilds it. */
interface BuildRecord {
  builder: number;
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
 * The model `recipe` makes from `source`, built into `cacheDir` on first use and reused after:
 * `<source name>-<recipe>-<hash of the source's real path>.gguf`, with a `.json` record of what
 * it came from (two sources of the same name never share an entry). The writer renames a
 * finished file into place, so an interrupted build never leaves a half file in the cache.
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
  const real = await realpath(source);
  const name = `${basename(source).replace(/\.gguf$/i, "")}-${recipe.id}-${createHash("sha256").update(real).digest("hex").slice(0, 8)}`;
  const output = join(cacheDir, `${name}.gguf`);
  const recordPath = join(cacheDir, `${name}.json`);
  const wanted: BuildRecord = {
    builder: BUILDER_VERSION,
    source: real,
    sourceBytes: sourceStat.size,
    sourceModifiedMs: Math.floor(sourceStat.mtimeMs),
    spec: recipe.spec,
  };
  if (existsSync(output) && (await readRecord(recordPath)) === JSON.stringify(wanted)) {
    onProgress?.({ recipe, write: null });
    return output;
  }
  await mkdir(cacheDir, { recursive: true });
  await buildWithRecipe(recipe, source, output, (write) => onProgress?.({ recipe, write }));
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
