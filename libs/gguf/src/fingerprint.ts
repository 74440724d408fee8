import { createHash } from "node:crypto";
import type { GgufValue } from "./types.js";

/** The metadata that decides how text becomes tokens and back: all of `tokenizer.ggml.*`. */
function isVocabularyKey(key: string): boolean {
  return key.startsWith("tokenizer.ggml.");
}

/** JSON that keeps what JSON.stringify would blur: 64-bit integers, NaN, ±Infinity, -0. */
function exact(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "number" && (!Number.isFinite(value) || Object.is(value, -0)))
    return `${Object.is(value, -0) ? "-0" : value}f`;
  return value;
}

/**
 * A stable hash of the tokenizer: its model and pre-tokenizer, the token strings, scores,
 * types, merges and special-token ids. Two models may be paired only when their fingerprints
 * are equal (ARCHITECTURE.md, invariant 4). Quantizing or dropping layers keeps it; changing one
 * token changes it.
 */
export function vocabularyFingerprint(metadata: ReadonlyMap<string, GgufValue>): string {
  const keys = [...metadata.keys()].filter(isVocabularyKey).sort();
  if (!keys.includes("tokenizer.ggml.tokens"))
    throw new Error("the model has no tokenizer.ggml.tokens: it cannot take part in speculation");
  const hash = createHash("sha256");
  for (const key of keys) {
    hash.update(key);
    hash.update("\u0000");
    hash.update(JSON.stringify(metadata.get(key), exact));
    hash.update("\u0000");
  }
  return `vocab-${hash.digest("hex").slice(0, 16)}`;
}
