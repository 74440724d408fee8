import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  copiedTensor,
  GgufType,
  readGguf,
  vocabularyFingerprint,
  writeGguf,
  type GgufFile,
  type GgufValue,
} from "#gguf";

const MODEL = "/work/shared/models/stories260K.gguf";
/**
 * stories260K's fingerprint as of this writing. Workers of different builds compare fingerprints
 * over the wire, so a change to how it is computed must be deliberate.
 */
const STORIES_FINGERPRINT = "vocab-ab5b32852340bfd2";

describe("vocabularyFingerprint", () => {
  let dir: string;
  let file: GgufFile;
  let original: string;

  /** Writes stories260K with its metadata changed by `edit`, and returns the copy's fingerprint as read back. */
  async function fingerprintOfCopy(name: string, edit: (metadata: Map<string, GgufValue>) => void): Promise<string> {
    const metadata = structuredClone(file.metadata);
    edit(metadata);
    const p = path.join(dir, `${name}.gguf`);
    await writeGguf(p, { version: file.version, metadata, tensors: file.tensors.map((t) => copiedTensor(file, t)) });
    return vocabularyFingerprint((await readGguf(p)).metadata);
  }

  function setToken(metadata: Map<string, GgufValue>, index: number, text: string): void {
    const tokens = metadata.get("tokenizer.ggml.tokens");
    assert.ok(tokens?.type === GgufType.ARRAY);
    (tokens.value.items as string[])[index] = text;
  }

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "gguf-fingerprint-"));
    file = await readGguf(MODEL);
    original = vocabularyFingerprint(file.metadata);
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("has the form vocab-<16 hex digits> and a pinned value for stories260K", () => {
    assert.match(original, /^vocab-[0-9a-f]{16}$/);
    assert.equal(original, STORIES_FINGERPRINT);
  });

  it("is stable across two reads of the file", async () => {
    const again = await readGguf(MODEL);
    assert.equal(vocabularyFingerprint(again.metadata), original);
    assert.equal(vocabularyFingerprint(file.metadata), original);
  });

  it("does not depend on the order of the metadata keys", () => {
    const reversed = new Map([...file.metadata].reverse());
    assert.equal(vocabularyFingerprint(reversed), original);
  });

  it("changes when one token string changes", async () => {
    const tokens = file.metadata.get("tokenizer.ggml.tokens");
    assert.ok(tokens?.type === GgufType.ARRAY);
    const word = tokens.value.items[300] as string;
    const changed = await fingerprintOfCopy("token", (m) => setToken(m, 300, `${word}x`));
    assert.match(changed, /^vocab-[0-9a-f]{16}$/);
    assert.notEqual(changed, original);
  });

  it("changes when two tokens swap places", async () => {
    const changed = await fingerprintOfCopy("swap", (m) => {
      setToken(m, 100, "<swapped-a>");
      setToken(m, 101, "<swapped-b>");
    });
    assert.notEqual(changed, original);
  });

  it("changes when one score or a special-token id changes", async () => {
    const score = await fingerprintOfCopy("score", (m) => {
      const scores = m.get("tokenizer.ggml.scores");
      assert.ok(scores?.type === GgufType.ARRAY);
      (scores.value.items as number[])[42] = Math.fround(-1.5);
    });
    assert.notEqual(score, original);
    const bos = await fingerprintOfCopy("bos", (m) =>
      m.set("tokenizer.ggml.bos_token_id", { type: GgufType.UINT32, value: 2 }),
    );
    assert.notEqual(bos, original);
    assert.notEqual(bos, score);
  });

  it("is the same when only non-vocabulary keys change", async () => {
    const renamed = await fingerprintOfCopy("name", (m) =>
      m.set("general.name", { type: GgufType.STRING, value: "another name" }),
    );
    assert.equal(renamed, original);
    const longer = await fingerprintOfCopy("context", (m) =>
      m.set("llama.context_length", { type: GgufType.UINT32, value: 4096 }),
    );
    assert.equal(longer, original);
    const added = await fingerprintOfCopy("added", (m) =>
      m.set("general.description", { type: GgufType.STRING, value: "test" }),
    );
    assert.equal(added, original);
  });

  it("refuses metadata without tokenizer.ggml.tokens", () => {
    const metadata = new Map(file.metadata);
    metadata.delete("tokenizer.ggml.tokens");
    assert.throws(
      () => vocabularyFingerprint(metadata),
      /the model has no tokenizer\.ggml\.tokens: it cannot take part in speculation/,
    );
  });
});
