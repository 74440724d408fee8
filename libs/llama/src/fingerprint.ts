import { createHash } from "node:crypto";

/**
 * A stable hash of everything that decides how text becomes tokens and back: the tokenizer
 * model and pre-tokenizer, the token strings, scores, types, merges and the special-token ids.
 * Two models may be paired only when their fingerprints are equal (invariant 4).
 * Takes the GGUF `tokenizer.ggml` metadata object, so it runs on any reader's output.
 */
export function vocabularyFingerprint(ggml: Record<string, unknown>): string {
  const hash = createHash("sha256");
  const fields = Object.keys(ggml)
    .filter((key) => ["model", "pre", "tokens", "scores", "token_type", "merges"].includes(key) || key.endsWith("_token_id") || key.startsWith("add_"))
    .sort();
  for (const key of fields) {
    hash.update(key);
    hash.update("\u0000");
    hash.update(JSON.stringify(ggml[key], (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
    hash.update("\u0000");
  }
  return `vocab-${hash.digest("hex").slice(0, 16)}`;
}
