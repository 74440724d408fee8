import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { access, mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Llama } from "node-llama-cpp";
import {
  GgmlType,
  GgufType,
  quantizeRow,
  readGguf,
  tensorBytes,
  vocabularyFingerprint,
  type GgufFile,
  type QuantizedType,
  type TensorInfo,
} from "#gguf";
import { createLlama } from "#llama";
import { deriveModel } from "#models";
import { commonPrefix, greedyTokens, type GreedyRun } from "./greedy.js";

const MODEL = "/work/shared/models/stories260K.gguf";
const PROMPTS = ["Once upon a time", "The little dog", "Lily and Tom went to the park"];
const QUANTIZED =
  /^(token_embd|output)\.weight$|^blk\.\d+\.(attn_q|attn_k|attn_v|attn_output|ffn_gate|ffn_up)\.weight$/;

/** The bytes of a tensor as stored in a file. */
function tensorData(file: GgufFile, bytes: Buffer, info: TensorInfo): Buffer {
  const start = file.dataOffset + Number(info.offset);
  return bytes.subarray(start, start + tensorBytes(info));
}

function metadataWithout(file: GgufFile, ...keys: string[]): Map<string, unknown> {
  const copy = new Map<string, unknown>(file.metadata);
  for (const key of keys) copy.delete(key);
  return copy;
}

describe("deriveModel", () => {
  let dir: string;
  let original: GgufFile;
  let originalBytes: Buffer;
  let fingerprint: string;
  const paths = { q8: "", q4: "", layers: "", q4Layers: "" };

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "models-derive-"));
    original = await readGguf(MODEL);
    originalBytes = await readFile(MODEL);
    fingerprint = vocabularyFingerprint(original.metadata);
    paths.q8 = path.join(dir, "q8_0.gguf");
    paths.q4 = path.join(dir, "q4_0.gguf");
    paths.layers = path.join(dir, "L0124.gguf");
    paths.q4Layers = path.join(dir, "q4_0-L04.gguf");
    await deriveModel(MODEL, paths.q8, { quantize: "q8_0" });
    await deriveModel(MODEL, paths.q4, { quantize: "q4_0" });
    await deriveModel(MODEL, paths.layers, { keepLayers: [0, 1, 2, 4] });
    await deriveModel(MODEL, paths.q4Layers, { quantize: "q4_0", keepLayers: [0, 4] });
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const [kind, type, fileType, name] of [
    ["q8_0", GgmlType.Q8_0, 7, "q8"],
    ["q4_0", GgmlType.Q4_0, 2, "q4"],
  ] as const) {
    describe(kind, () => {
      let derived: GgufFile;
      let derivedBytes: Buffer;
      before(async () => {
        derived = await readGguf(paths[name]);
        derivedBytes = await readFile(paths[name]);
      });

      it("keeps the vocabulary fingerprint", () => {
        assert.equal(vocabularyFingerprint(derived.metadata), fingerprint);
      });

      it(`quantizes exactly the 2-D tensors with rows a multiple of 32 (32 of 48); ffn_down (rows of 172) and norms stay F32`, () => {
        assert.deepEqual(
          derived.tensors.map((t) => [t.name, t.dims]),
          original.tensors.map((t) => [t.name, t.dims]),
        );
        for (const t of derived.tensors) {
          assert.equal(GgmlType[t.type], GgmlType[QUANTIZED.test(t.name) ? type : GgmlType.F32], t.name);
        }
        assert.equal(derived.tensors.filter((t) => t.type === type).length, 32);
        const f32 = derived.tensors.filter((t) => t.type === GgmlType.F32).map((t) => t.name);
        assert.equal(f32.length, 16);
        for (let l = 0; l < 5; l++) {
          for (const part of ["ffn_down", "attn_norm", "ffn_norm"])
            assert.ok(f32.includes(`blk.${l}.${part}.weight`), `blk.${l}.${part}.weight`);
        }
        assert.ok(f32.includes("output_norm.weight"));
      });

      it("writes each quantized tensor as quantizeRow of its rows, and copies the rest byte for byte", () => {
        for (const [i, t] of derived.tensors.entries()) {
          const source = original.tensors[i]!;
          const got = tensorData(derived, derivedBytes, t);
          const from = tensorData(original, originalBytes, source);
          if (t.type === GgmlType.F32) {
            assert.ok(got.equals(from), t.name);
            continue;
          }
          const values = new Float32Array(from.buffer.slice(from.byteOffset, from.byteOffset + from.length));
          const rows: Buffer[] = [];
          for (let r = 0; r < t.dims[1]!; r++)
            rows.push(quantizeRow(values.subarray(r * t.dims[0]!, (r + 1) * t.dims[0]!), type as QuantizedType));
          assert.ok(got.equals(Buffer.concat(rows)), t.name);
        }
      });

      it(`sets general.file_type to ${fileType} (UINT32) and changes nothing else but the name`, () => {
        assert.deepEqual(derived.metadata.get("general.file_type"), { type: GgufType.UINT32, value: fileType });
        assert.deepEqual(derived.metadata.get("general.name"), { type: GgufType.STRING, value: `llama-${kind}` });
        assert.deepEqual(derived.metadata.get("llama.block_count"), { type: GgufType.UINT32, value: 5 });
        assert.deepEqual(
          metadataWithout(derived, "general.file_type", "general.name"),
          metadataWithout(original, "general.name"),
        );
      });

      it(
        "is the expected size: quantized blocks of 32 values in " + (type === GgmlType.Q8_0 ? "34" : "18") + " bytes",
        () => {
          const data = derived.tensors.reduce((sum, t) => sum + tensorBytes(t), 0);
          assert.equal(data, type === GgmlType.Q8_0 ? 474848 : 356320);
          assert.equal(
            derived.fileSize,
            derived.dataOffset + Number(derived.tensors.at(-1)!.offset) + tensorBytes(derived.tensors.at(-1)!),
          );
        },
      );
    });
  }

  describe("keeping layers [0, 1, 2, 4]", () => {
    let derived: GgufFile;
    let derivedBytes: Buffer;
    before(async () => {
      derived = await readGguf(paths.layers);
      derivedBytes = await readFile(paths.layers);
    });

    it("renames blk.4 to blk.3, drops the old blk.3 and sets block_count 4", () => {
      assert.equal(derived.tensors.length, 3 + 4 * 9);
      const layers = new Set(
        derived.tensors.map((t) => /^blk\.(\d+)\./.exec(t.name)?.[1]).filter((l) => l !== undefined),
      );
      assert.deepEqual([...layers], ["0", "1", "2", "3"]);
      assert.deepEqual(derived.metadata.get("llama.block_count"), { type: GgufType.UINT32, value: 4 });
      assert.deepEqual(derived.metadata.get("general.name"), { type: GgufType.STRING, value: "llama-L0-1-2-4" });
      assert.equal(derived.metadata.has("general.file_type"), false);
      assert.ok(derived.tensors.every((t) => t.type === GgmlType.F32));
      assert.equal(vocabularyFingerprint(derived.metadata), fingerprint);
    });

    it("blk.3.* holds the original blk.4.* bytes and blk.0-2 are unchanged", () => {
      const from = new Map(original.tensors.map((t) => [t.name, t]));
      const mapping: Record<string, string> = { "0": "0", "1": "1", "2": "2", "3": "4" };
      for (const t of derived.tensors) {
        const match = /^blk\.(\d+)\.(.+)$/.exec(t.name);
        const sourceName = match ? `blk.${mapping[match[1]!]}.${match[2]}` : t.name;
        const source = from.get(sourceName)!;
        assert.deepEqual(t.dims, source.dims, t.name);
        assert.ok(
          tensorData(derived, derivedBytes, t).equals(tensorData(original, originalBytes, source)),
          `${t.name} ← ${sourceName}`,
        );
      }
      // And the old blk.3 really is gone: its attn_q differs from the new blk.3's.
      const newBlk3 = derived.tensors.find((t) => t.name === "blk.3.attn_q.weight")!;
      const oldBlk3 = from.get("blk.3.attn_q.weight")!;
      assert.ok(!tensorData(derived, derivedBytes, newBlk3).equals(tensorData(original, originalBytes, oldBlk3)));
    });
  });

  it("combines q4_0 with keeping layers [0, 4]", async () => {
    const derived = await readGguf(paths.q4Layers);
    assert.equal(derived.tensors.length, 3 + 2 * 9);
    assert.deepEqual(derived.metadata.get("llama.block_count"), { type: GgufType.UINT32, value: 2 });
    assert.deepEqual(derived.metadata.get("general.file_type"), { type: GgufType.UINT32, value: 2 });
    assert.deepEqual(derived.metadata.get("general.name"), { type: GgufType.STRING, value: "llama-q4_0-L0-4" });
    const bytes = await readFile(paths.q4Layers);
    const q = derived.tensors.find((t) => t.name === "blk.1.attn_q.weight")!;
    assert.equal(q.type, GgmlType.Q4_0);
    const source = original.tensors.find((t) => t.name === "blk.4.attn_q.weight")!;
    const from = tensorData(original, originalBytes, source);
    const values = new Float32Array(from.buffer.slice(from.byteOffset, from.byteOffset + from.length));
    const rows = Array.from({ length: 64 }, (_, r) =>
      quantizeRow(values.subarray(r * 64, (r + 1) * 64), GgmlType.Q4_0),
    );
    assert.ok(tensorData(derived, bytes, q).equals(Buffer.concat(rows)));
  });

  describe("invalid layer lists", () => {
    const cases: [string, number[], RegExp][] = [
      ["a layer past the end", [0, 5], /layer 5 does not exist: the model has layers 0\.\.4/],
      ["a negative layer", [-1], /layer -1 does not exist: the model has layers 0\.\.4/],
      ["a fractional layer", [1.5], /layer 1\.5 does not exist/],
      ["an empty list", [], /keep at least one layer, each once/],
      ["a repeated layer", [1, 2, 1], /keep at least one layer, each once/],
    ];
    for (const [name, keepLayers, message] of cases) {
      it(`${name} (${JSON.stringify(keepLayers)}) throws before writing anything`, async () => {
        const output = path.join(dir, `bad-${name.replace(/\W+/g, "-")}.gguf`);
        await assert.rejects(deriveModel(MODEL, output, { keepLayers }), message);
        await assert.rejects(access(output), { code: "ENOENT" });
      });
    }
  });

  describe("in llama.cpp", () => {
    let llama: Llama;
    let reference: GreedyRun;
    const runs: Record<string, GreedyRun> = {};

    before(async () => {
      llama = await createLlama(1);
      reference = await greedyTokens(llama, MODEL, PROMPTS, 48);
      for (const name of ["q8", "q4", "layers"] as const)
        runs[name] = await greedyTokens(llama, paths[name], PROMPTS, 48);
    });

    after(async () => {
      await llama?.dispose();
    });

    it("reports the quantization llama.cpp read from general.file_type", () => {
      assert.match(reference.typeDescription, /all F32/);
      assert.match(runs.q8!.typeDescription, /\bQ8_0\b/);
      assert.match(runs.q4!.typeDescription, /\bQ4_0\b/);
      assert.match(runs.layers!.typeDescription, /all F32/);
    });

    it("loadModel reports the original's vocabulary fingerprint for every derivative", () => {
      assert.equal(reference.vocabFingerprint, fingerprint);
      for (const run of Object.values(runs)) assert.equal(run.vocabFingerprint, fingerprint);
      for (const run of [reference, ...Object.values(runs)]) assert.equal(run.vocabularySize, 512);
    });

    it("every derivative generates 48 tokens of the same vocabulary for each prompt", () => {
      for (const run of [reference, ...Object.values(runs)]) {
        assert.equal(run.tokens.length, 3);
        for (const ids of run.tokens) {
          assert.equal(ids.length, 48);
          assert.ok(ids.every((id) => Number.isInteger(id) && id >= 0 && id < 512));
        }
      }
    });

    it("the derivatives draft well: they start out as the original does", () => {
      // Greedy acceptance measured: q8_0 0.965, q4_0 0.69, 4 of 5 layers 0.35 (LLAMA-NOTES.md).
      const [q8, q4, layers] = [runs.q8!, runs.q4!, runs.layers!].map((run) =>
        commonPrefix(run.tokens[0]!, reference.tokens[0]!),
      );
      assert.ok(q8! >= 16, `q8_0 agrees on ${q8} tokens`);
      assert.ok(q4! >= 6, `q4_0 agrees on ${q4} tokens`);
      assert.ok(layers! >= 6, `4 of 5 layers agree on ${layers} tokens`);
      // And the 4-layer model is a different model.
      assert.notDeepEqual(runs.layers!.tokens, reference.tokens);
    });
  });
});
