import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, open, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  copiedTensor,
  floatToHalf,
  generatedTensor,
  GgmlType,
  GgufType,
  quantizeRowQ8_0,
  readGguf,
  readTensorFloats,
  writeGguf,
  type GgufFile,
  type GgufValue,
} from "#gguf";
import { BinaryReader } from "../src/binary-reader.js";

const MODEL = "/work/shared/models/stories260K.gguf";

describe("GGUF read/write round trip of stories260K", () => {
  let dir: string;
  let file: GgufFile;
  let copyPath: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "gguf-roundtrip-"));
    file = await readGguf(MODEL);
    copyPath = path.join(dir, "copy.gguf");
    await writeGguf(copyPath, {
      version: file.version,
      metadata: file.metadata,
      tensors: file.tensors.map((t) => copiedTensor(file, t)),
    });
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads the header: version 3, 19 keys, 48 tensors, data at 14176, alignment 32", () => {
    assert.equal(file.version, 3);
    assert.equal(file.metadata.size, 19);
    assert.equal(file.tensors.length, 48);
    assert.equal(file.alignment, 32);
    assert.equal(file.dataOffset, 14176);
    assert.equal(file.fileSize, 1185376);
    // In file order.
    assert.deepEqual([...file.metadata.keys()].slice(0, 4), [
      "tokenizer.ggml.tokens",
      "tokenizer.ggml.scores",
      "tokenizer.ggml.token_type",
      "tokenizer.ggml.model",
    ]);
  });

  it("keeps each metadata value's exact type", () => {
    const m = file.metadata;
    const eps = m.get("llama.attention.layer_norm_rms_epsilon");
    assert.deepEqual(eps, { type: GgufType.FLOAT32, value: Math.fround(1e-5) });
    assert.deepEqual(m.get("tokenizer.ggml.bos_token_id"), { type: GgufType.UINT32, value: 1 });
    assert.deepEqual(m.get("tokenizer.ggml.eos_token_id"), { type: GgufType.UINT32, value: 2 });
    assert.deepEqual(m.get("tokenizer.ggml.padding_token_id"), { type: GgufType.UINT32, value: 4294967295 });
    assert.deepEqual(m.get("llama.embedding_length"), { type: GgufType.UINT32, value: 64 });
    assert.deepEqual(m.get("llama.feed_forward_length"), { type: GgufType.UINT32, value: 172 });
    assert.deepEqual(m.get("llama.block_count"), { type: GgufType.UINT32, value: 5 });
    assert.deepEqual(m.get("llama.attention.head_count_kv"), { type: GgufType.UINT32, value: 4 });
    assert.deepEqual(m.get("general.architecture"), { type: GgufType.STRING, value: "llama" });
    assert.deepEqual(m.get("tokenizer.ggml.model"), { type: GgufType.STRING, value: "llama" });

    const tokens = m.get("tokenizer.ggml.tokens");
    assert.equal(tokens?.type, GgufType.ARRAY);
    if (tokens?.type !== GgufType.ARRAY) return;
    assert.equal(tokens.value.itemType, GgufType.STRING);
    assert.equal(tokens.value.items.length, 512);
    assert.deepEqual(tokens.value.items.slice(0, 4), ["<unk>", "<s>", "</s>", "<0x00>"]);

    const types = m.get("tokenizer.ggml.token_type");
    assert.ok(types?.type === GgufType.ARRAY);
    assert.equal(types.value.itemType, GgufType.INT32);
    assert.deepEqual(types.value.items.slice(0, 4), [2, 3, 3, 6]);

    const scores = m.get("tokenizer.ggml.scores");
    assert.ok(scores?.type === GgufType.ARRAY);
    assert.equal(scores.value.itemType, GgufType.FLOAT32);
    assert.equal(scores.value.items.length, 512);
  });

  it("reads tensor infos: names, dims (row length first), types, offsets", () => {
    const byName = new Map(file.tensors.map((t) => [t.name, t]));
    assert.deepEqual(byName.get("token_embd.weight"), {
      name: "token_embd.weight",
      dims: [64, 512],
      type: GgmlType.F32,
      offset: 0n,
    });
    assert.deepEqual(byName.get("output_norm.weight"), {
      name: "output_norm.weight",
      dims: [64],
      type: GgmlType.F32,
      offset: 131072n,
    });
    assert.deepEqual(byName.get("blk.0.ffn_down.weight")?.dims, [172, 64]);
    assert.deepEqual(byName.get("blk.0.ffn_gate.weight")?.dims, [64, 172]);
    assert.deepEqual(byName.get("blk.4.attn_k.weight")?.dims, [64, 32]);
    assert.equal(byName.get("blk.4.ffn_norm.weight")?.offset, 1170944n);
    assert.ok(file.tensors.every((t) => t.type === GgmlType.F32));
  });

  it("writes a byte-identical file with copiedTensor", async () => {
    const [a, b] = await Promise.all([readFile(MODEL), readFile(copyPath)]);
    assert.equal(b.length, a.length);
    const firstDiff = a.findIndex((byte, i) => byte !== b[i]);
    assert.equal(firstDiff, -1, `first differing byte at ${firstDiff}`);
  });

  it("reads the written copy back to the same header", async () => {
    const copy = await readGguf(copyPath);
    assert.deepEqual(copy.metadata, file.metadata);
    assert.deepEqual(copy.tensors, file.tensors);
    assert.equal(copy.dataOffset, file.dataOffset);
  });

  it("readTensorFloats returns the raw f32 values of a tensor", async () => {
    const info = file.tensors.find((t) => t.name === "blk.2.attn_norm.weight")!;
    const values = await readTensorFloats(file, info);
    const raw = (await readFile(MODEL)).subarray(
      file.dataOffset + Number(info.offset),
      file.dataOffset + Number(info.offset) + 256,
    );
    assert.equal(values.length, 64);
    for (let i = 0; i < 64; i++) assert.equal(values[i], raw.readFloatLE(i * 4));
  });

  it("copiedTensor can rename", async () => {
    const info = file.tensors[1]!;
    const source = copiedTensor(file, info, "renamed.weight");
    assert.equal(source.name, "renamed.weight");
    assert.deepEqual(source.dims, [64]);
    const chunks: Buffer[] = [];
    for await (const chunk of source.chunks()) chunks.push(chunk);
    assert.equal(Buffer.concat(chunks).length, 256);
  });
});

describe("GGUF write/read of every metadata type and non-f32 tensors", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "gguf-types-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const metadata = new Map<string, GgufValue>([
    ["general.alignment", { type: GgufType.UINT32, value: 64 }],
    ["t.u8", { type: GgufType.UINT8, value: 255 }],
    ["t.i8", { type: GgufType.INT8, value: -128 }],
    ["t.u16", { type: GgufType.UINT16, value: 65535 }],
    ["t.i16", { type: GgufType.INT16, value: -32768 }],
    ["t.u32", { type: GgufType.UINT32, value: 4294967295 }],
    ["t.i32", { type: GgufType.INT32, value: -2147483648 }],
    ["t.f32", { type: GgufType.FLOAT32, value: Math.fround(0.1) }],
    ["t.f64", { type: GgufType.FLOAT64, value: 0.1 }],
    ["t.bool", { type: GgufType.BOOL, value: true }],
    ["t.string", { type: GgufType.STRING, value: "héllo ✓" }],
    ["t.u64", { type: GgufType.UINT64, value: 18446744073709551615n }],
    ["t.i64", { type: GgufType.INT64, value: -9223372036854775808n }],
    ["t.empty", { type: GgufType.STRING, value: "" }],
    ["t.arr.i16", { type: GgufType.ARRAY, value: { itemType: GgufType.INT16, items: [-1, 0, 1] } }],
    ["t.arr.u64", { type: GgufType.ARRAY, value: { itemType: GgufType.UINT64, items: [0n, 2n ** 40n] } }],
    ["t.arr.bool", { type: GgufType.ARRAY, value: { itemType: GgufType.BOOL, items: [true, false] } }],
    [
      "t.arr.nested",
      {
        type: GgufType.ARRAY,
        value: {
          itemType: GgufType.ARRAY,
          items: [
            { itemType: GgufType.STRING, items: ["a", "bc"] },
            { itemType: GgufType.INT8, items: [-5] },
          ],
        },
      },
    ],
    ["t.arr.empty", { type: GgufType.ARRAY, value: { itemType: GgufType.FLOAT32, items: [] } }],
  ]);

  const halves = [0, 1, -2, 0.5, 65504, -0.25, 1024, 3];
  const q8Row = Float32Array.from({ length: 64 }, (_, i) => (i - 31.5) / 8);

  function tensors() {
    return [
      generatedTensor("a.f16", [4, 2], GgmlType.F16, function* () {
        const b = Buffer.alloc(16);
        halves.forEach((h, i) => b.writeUInt16LE(floatToHalf(h), i * 2));
        yield b;
      }),
      generatedTensor("b.f32", [3], GgmlType.F32, function* () {
        yield Buffer.from(Float32Array.from([1.5, -2, 3]).buffer);
      }),
      generatedTensor("c.q8_0", [64, 1], GgmlType.Q8_0, function* () {
        yield quantizeRowQ8_0(q8Row);
      }),
    ];
  }

  it("reads back every value with its type, and aligns data to general.alignment", async () => {
    const p = path.join(dir, "types.gguf");
    await writeGguf(p, { version: 3, metadata, tensors: tensors() });
    const back = await readGguf(p);
    assert.deepEqual(back.metadata, metadata);
    assert.equal(back.alignment, 64);
    assert.equal(back.dataOffset % 64, 0);
    assert.deepEqual(
      back.tensors.map((t) => [t.name, t.dims, t.type, t.offset]),
      [
        ["a.f16", [4, 2], GgmlType.F16, 0n],
        ["b.f32", [3], GgmlType.F32, 64n],
        ["c.q8_0", [64, 1], GgmlType.Q8_0, 128n],
      ],
    );
    // The last tensor ends the file: 2 blocks of 34 bytes.
    assert.equal(back.fileSize, back.dataOffset + 128 + 68);
    assert.deepEqual([...(await readTensorFloats(back, back.tensors[0]!))], halves);
    assert.deepEqual([...(await readTensorFloats(back, back.tensors[1]!))], [1.5, -2, 3]);
    await assert.rejects(readTensorFloats(back, back.tensors[2]!), /only f32 and f16 sources can be transformed/);

    // And writing what was read gives the same bytes again.
    const p2 = path.join(dir, "types2.gguf");
    await writeGguf(p2, {
      version: back.version,
      metadata: back.metadata,
      tensors: back.tensors.map((t) => copiedTensor(back, t)),
    });
    assert.ok((await readFile(p)).equals(await readFile(p2)));
  });

  it("rejects a tensor whose chunks do not match its shape", async () => {
    const p = path.join(dir, "short.gguf");
    const bad = generatedTensor("bad", [8], GgmlType.F32, function* () {
      yield Buffer.alloc(28);
    });
    await assert.rejects(
      writeGguf(p, { version: 3, metadata: new Map(), tensors: [bad] }),
      /tensor bad: wrote 28 bytes, its shape needs 32/,
    );
  });

  // writer.ts:75 throws (and a throwing chunks() iterator propagates) without out.destroy()/end(): the file
  // descriptor stays open and a partial file is left at the output path.
  it("closes its output file when a tensor fails", async () => {
    const openFiles = async () => (await readdir("/proc/self/fd")).length;
    const before = await openFiles();
    for (let i = 0; i < 3; i++) {
      const bad = generatedTensor("bad", [8], GgmlType.F32, function* () {
        yield Buffer.alloc(4);
      });
      await assert.rejects(
        writeGguf(path.join(dir, `leak${i}.gguf`), { version: 3, metadata: new Map(), tensors: [bad] }),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(await openFiles(), before);
  });

  it("rejects a tensor shape the type cannot hold", async () => {
    const p = path.join(dir, "rows.gguf");
    const bad = generatedTensor("bad", [40, 2], GgmlType.Q8_0, function* () {});
    await assert.rejects(
      writeGguf(p, { version: 3, metadata: new Map(), tensors: [bad] }),
      /row length 40 is not a multiple of 32 for Q8_0/,
    );
  });
});

describe("BinaryReader across chunk boundaries", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "gguf-reader-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads values and strings that straddle small chunks, then reports the end of the file", async () => {
    const b = Buffer.alloc(4 + 8 + 8 + 11 + 2);
    let o = 0;
    o = b.writeUInt32LE(0xdeadbeef, o);
    o = b.writeBigInt64LE(-3n, o);
    o = b.writeBigUInt64LE(11n, o);
    o += b.write("hello world", o, "utf8");
    b.writeInt16LE(-2, o);
    const p = path.join(dir, "values.bin");
    await writeFile(p, b);
    const handle = await open(p, "r");
    try {
      const reader = new BinaryReader(handle, 3);
      assert.equal(await reader.u32(), 0xdeadbeef);
      assert.equal(await reader.i64(), -3n);
      assert.equal(await reader.string(), "hello world");
      assert.equal(reader.position, 31);
      assert.equal(await reader.i16(), -2);
      assert.equal(reader.position, 33);
      await assert.rejects(reader.u8(), /unexpected end of file at byte 33/);
    } finally {
      await handle.close();
    }
  });

  it("parses the stories260K header identically with 5-byte chunks", async () => {
    // A full header parse through readGguf uses 1 MiB chunks; re-parse the first keys by hand with tiny ones.
    const handle = await open(MODEL, "r");
    try {
      const reader = new BinaryReader(handle, 5);
      assert.equal(await reader.u32(), 0x46554747);
      assert.equal(await reader.u32(), 3);
      assert.equal(await reader.u64(), 48n);
      assert.equal(await reader.u64(), 19n);
      assert.equal(await reader.string(), "tokenizer.ggml.tokens");
      assert.equal(await reader.u32(), GgufType.ARRAY);
      assert.equal(await reader.u32(), GgufType.STRING);
      assert.equal(await reader.count("array length"), 512);
      const first = [];
      for (let i = 0; i < 300; i++) first.push(await reader.string());
      assert.deepEqual(first.slice(0, 3), ["<unk>", "<s>", "</s>"]);
      const full = await readGguf(MODEL);
      const tokens = full.metadata.get("tokenizer.ggml.tokens");
      assert.ok(tokens?.type === GgufType.ARRAY);
      assert.deepEqual(first, tokens.value.items.slice(0, 300));
    } finally {
      await handle.close();
    }
  });
});
