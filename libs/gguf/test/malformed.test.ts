import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  copiedTensor,
  GgufFormatError,
  GgufType,
  readGguf,
  tensorBytes,
  vocabularyFingerprint,
  writeGguf,
} from "#gguf";

const MODEL = "/work/shared/models/stories260K.gguf";
const DATA_OFFSET = 14176;

/** readGguf must reject with a GgufFormatError naming the file and matching `reason`. */
async function rejectsWith(file: string, reason: RegExp): Promise<GgufFormatError> {
  let caught: unknown;
  try {
    await readGguf(file);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof GgufFormatError, `expected a GgufFormatError, got ${String(caught)}`);
  assert.equal(caught.name, "GgufFormatError");
  assert.ok(caught.message.startsWith(`${file}: `), caught.message);
  assert.match(caught.message, reason);
  return caught;
}

describe("readGguf on malformed input", () => {
  let dir: string;
  let original: Buffer;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "gguf-malformed-"));
    original = await readFile(MODEL);
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function variant(name: string, bytes: Buffer): Promise<string> {
    const p = path.join(dir, name);
    await writeFile(p, bytes);
    return p;
  }

  /** Byte offset of the field right after tensor `name`'s name in the header. */
  function afterTensorName(name: string): number {
    const needle = Buffer.concat([Buffer.from([name.length, 0, 0, 0, 0, 0, 0, 0]), Buffer.from(name)]);
    const at = original.indexOf(needle);
    assert.ok(at > 0 && at < DATA_OFFSET);
    return at + needle.length;
  }

  it("a missing file", async () => {
    await rejectsWith(path.join(dir, "does-not-exist.gguf"), /no such file/);
  });

  it("a file with bad magic", async () => {
    const bytes = Buffer.from(original.subarray(0, 4096));
    bytes.write("GGML", 0, "latin1");
    await rejectsWith(await variant("bad-magic.gguf", bytes), /not a GGUF file \(bad magic\)/);
  });

  it("a text file", async () => {
    await rejectsWith(
      await variant("text.gguf", Buffer.from("this is not a model, just some text of some length\n")),
      /bad magic/,
    );
  });

  it("an empty file", async () => {
    await rejectsWith(await variant("empty.gguf", Buffer.alloc(0)), /bad magic/);
  });

  it("an unsupported version", async () => {
    const bytes = Buffer.from(original);
    bytes.writeUInt32LE(4, 4);
    await rejectsWith(await variant("v4.gguf", bytes), /GGUF version 4 is not supported \(2 or 3\)/);
  });

  it("a copy truncated in the tensor data names the first tensor that runs past the end", async () => {
    // Cut 100 bytes short: only the last tensor (blk.4.ffn_norm.weight, 256 bytes at the end) is incomplete.
    await rejectsWith(
      await variant("cut-end.gguf", original.subarray(0, original.length - 100)),
      /tensor blk\.4\.ffn_norm\.weight \(F32\) runs past the end of the file: truncated\?/,
    );
    // Cut 1000 bytes into the data: token_embd.weight (the first, 131072 bytes) already runs past.
    await rejectsWith(
      await variant("cut-data.gguf", original.subarray(0, DATA_OFFSET + 1000)),
      /tensor token_embd\.weight \(F32\) runs past the end of the file: truncated\?/,
    );
  });

  it("a copy truncated in the header (inside the token strings)", async () => {
    const error = await rejectsWith(
      await variant("cut-tokens.gguf", original.subarray(0, 4000)),
      /unexpected end of file at byte (\d+)/,
    );
    const at = Number(/at byte (\d+)/.exec(error.message)![1]);
    assert.ok(at <= 4000 && at > 3900, `reported byte ${at}`);
  });

  it("a copy truncated in the header (inside the tensor infos)", async () => {
    const cut = afterTensorName("blk.3.ffn_up.weight") + 2;
    const error = await rejectsWith(
      await variant("cut-infos.gguf", original.subarray(0, cut)),
      /unexpected end of file at byte (\d+)/,
    );
    const at = Number(/at byte (\d+)/.exec(error.message)![1]);
    assert.equal(at, cut - 2);
  });

  it("a copy cut right after the header, before any data", async () => {
    await rejectsWith(
      await variant("cut-padding.gguf", original.subarray(0, DATA_OFFSET)),
      /tensor token_embd\.weight \(F32\) runs past the end of the file/,
    );
  });

  it("an implausible string length", async () => {
    const bytes = Buffer.from(original);
    bytes.writeBigUInt64LE(0xffff_ffff_ffffn, 24); // the first key's length
    await rejectsWith(
      await variant("long-key.gguf", bytes),
      /string length of 281474976710655 at byte 24 is not plausible: the file is malformed/,
    );
  });

  it("an implausible tensor count", async () => {
    const bytes = Buffer.from(original);
    bytes.writeBigUInt64LE(1n << 40n, 8);
    await rejectsWith(
      await variant("many-tensors.gguf", bytes),
      /tensor count of 1099511627776 at byte 8 is not plausible/,
    );
  });

  it("an unknown metadata value type", async () => {
    const bytes = Buffer.from(original);
    // magic 4 + version 4 + counts 16 + key length 8 + "tokenizer.ggml.tokens" (21) = 53: the first value's type.
    assert.equal(bytes.toString("utf8", 32, 53), "tokenizer.ggml.tokens");
    bytes.writeUInt32LE(99, 53);
    await rejectsWith(await variant("bad-type.gguf", bytes), /unknown metadata value type 99/);
  });

  it("a tensor with 0 dimensions", async () => {
    const bytes = Buffer.from(original);
    bytes.writeUInt32LE(0, afterTensorName("output_norm.weight"));
    await rejectsWith(await variant("dims0.gguf", bytes), /tensor output_norm\.weight has 0 dimensions/);
  });

  // llama.cpp keeps adding tensor types: the metadata (and the fingerprint) of such a file must
  // still read; only sizing or transforming that tensor fails, by name.
  it("a tensor type this reader does not know: readable, but not sizeable", async () => {
    const bytes = Buffer.from(original);
    const at = afterTensorName("output_norm.weight");
    assert.equal(bytes.readUInt32LE(at), 1); // one dimension
    bytes.writeUInt32LE(16, at + 4 + 8); // after n_dims and the single dim: the type
    const file = await readGguf(await variant("type16.gguf", bytes));
    const tensor = file.tensors.find((t) => t.name === "output_norm.weight")!;
    assert.equal(tensor.type, 16);
    assert.equal(vocabularyFingerprint(file.metadata), vocabularyFingerprint((await readGguf(MODEL)).metadata));
    assert.throws(() => tensorBytes(tensor), /unsupported tensor type type-16/);
  });

  // reader.ts:53-55 takes any UINT32 general.alignment: 0 gives alignUp(x, 0) = NaN, so dataOffset is NaN,
  // every bounds check (NaN > fileSize) is false and readGguf returns a GgufFile with dataOffset NaN.
  it("general.alignment 0 is rejected", async () => {
    const file = await readGguf(MODEL);
    const metadata = new Map(file.metadata);
    metadata.set("general.alignment", { type: GgufType.UINT32, value: 32 });
    const p = path.join(dir, "alignment32.gguf");
    await writeGguf(p, { version: 3, metadata, tensors: file.tensors.map((t) => copiedTensor(file, t)) });
    const bytes = await readFile(p);
    const at = bytes.indexOf(Buffer.from("general.alignment")) + "general.alignment".length;
    assert.deepEqual([bytes.readUInt32LE(at), bytes.readUInt32LE(at + 4)], [GgufType.UINT32, 32]);
    bytes.writeUInt32LE(0, at + 4);
    await rejectsWith(await variant("alignment0.gguf", bytes), /alignment/);
  });

  it("a directory", async () => {
    const sub = path.join(dir, "a-directory.gguf");
    await mkdir(sub);
    await rejectsWith(sub, /.+/);
  });
});
