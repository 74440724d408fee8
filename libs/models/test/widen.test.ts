import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { access, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Llama } from "node-llama-cpp";
import { GgmlType, GgufType, readGguf, readTensorFloats, vocabularyFingerprint, type GgufFile } from "#gguf";
import { createLlama } from "#llama";
import { widenModel } from "#models";
import { greedyTokens, type GreedyRun } from "./greedy.js";

const MODEL = "/work/shared/models/stories260K.gguf";
const PROMPTS = ["Once upon a time", "The little dog", "Lily and Tom went to the park"];
const SIZE = { embd: 256, ff: 512, layers: 8 };

describe("widenModel", () => {
  let dir: string;
  let widenedPath: string;
  let original: GgufFile;
  let widened: GgufFile;

  const floats = async (file: GgufFile, name: string) =>
    readTensorFloats(
      file,
      file.tensors.find((t) => t.name === name)!,
    );

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "models-widen-"));
    widenedPath = path.join(dir, "wide.gguf");
    await widenModel(MODEL, widenedPath, SIZE);
    original = await readGguf(MODEL);
    widened = await readGguf(widenedPath);
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes the new shape into the metadata, keeping the heads 8 wide", () => {
    const m = widened.metadata;
    assert.deepEqual(m.get("llama.embedding_length"), { type: GgufType.UINT32, value: 256 });
    assert.deepEqual(m.get("llama.feed_forward_length"), { type: GgufType.UINT32, value: 512 });
    assert.deepEqual(m.get("llama.block_count"), { type: GgufType.UINT32, value: 8 });
    assert.deepEqual(m.get("llama.attention.key_length"), { type: GgufType.UINT32, value: 8 });
    assert.deepEqual(m.get("llama.attention.value_length"), { type: GgufType.UINT32, value: 8 });
    assert.deepEqual(m.get("llama.attention.head_count"), { type: GgufType.UINT32, value: 8 });
    assert.deepEqual(m.get("llama.attention.head_count_kv"), { type: GgufType.UINT32, value: 4 });
    assert.deepEqual(m.get("llama.rope.dimension_count"), { type: GgufType.UINT32, value: 8 });
    assert.deepEqual(m.get("general.name"), { type: GgufType.STRING, value: "llama-w256" });
  });

  it("scales the RMSNorm epsilon by 64/256, kept FLOAT32", () => {
    const eps = widened.metadata.get("llama.attention.layer_norm_rms_epsilon");
    assert.equal(eps?.type, GgufType.FLOAT32);
    assert.equal(eps?.value, Math.fround((Math.fround(1e-5) * 64) / 256));
    assert.ok(Math.abs((eps!.value as number) - 2.5e-6) < 1e-12);
  });

  it("keeps the vocabulary fingerprint", () => {
    assert.equal(vocabularyFingerprint(widened.metadata), vocabularyFingerprint(original.metadata));
  });

  it("pads every tensor to the new dims, all F32, with 3 + 8 × 9 tensors", () => {
    assert.equal(widened.tensors.length, 3 + 8 * 9);
    assert.ok(widened.tensors.every((t) => t.type === GgmlType.F32));
    const dims = new Map(widened.tensors.map((t) => [t.name, t.dims]));
    assert.deepEqual(dims.get("token_embd.weight"), [256, 512]);
    assert.deepEqual(dims.get("output.weight"), [256, 512]);
    assert.deepEqual(dims.get("output_norm.weight"), [256]);
    for (const l of [0, 4, 5, 7]) {
      assert.deepEqual(dims.get(`blk.${l}.attn_q.weight`), [256, 64], `layer ${l}`);
      assert.deepEqual(dims.get(`blk.${l}.attn_k.weight`), [256, 32]);
      assert.deepEqual(dims.get(`blk.${l}.attn_v.weight`), [256, 32]);
      assert.deepEqual(dims.get(`blk.${l}.attn_output.weight`), [64, 256]);
      assert.deepEqual(dims.get(`blk.${l}.attn_norm.weight`), [256]);
      assert.deepEqual(dims.get(`blk.${l}.ffn_norm.weight`), [256]);
      assert.deepEqual(dims.get(`blk.${l}.ffn_gate.weight`), [256, 512]);
      assert.deepEqual(dims.get(`blk.${l}.ffn_up.weight`), [256, 512]);
      assert.deepEqual(dims.get(`blk.${l}.ffn_down.weight`), [512, 256]);
    }
    assert.equal(dims.has("blk.8.attn_q.weight"), false);
  });

  it("zero-pads the embedding rows and halves (√(64/256)) the norm weights", async () => {
    const [embd, wideEmbd] = [await floats(original, "token_embd.weight"), await floats(widened, "token_embd.weight")];
    for (const r of [0, 1, 300, 511]) {
      assert.deepEqual(wideEmbd.subarray(r * 256, r * 256 + 64), embd.subarray(r * 64, (r + 1) * 64), `row ${r}`);
      assert.ok(wideEmbd.subarray(r * 256 + 64, (r + 1) * 256).every((v) => v === 0));
    }
    for (const name of ["output_norm.weight", "blk.0.attn_norm.weight", "blk.3.ffn_norm.weight"]) {
      const [norm, wide] = [await floats(original, name), await floats(widened, name)];
      assert.deepEqual(
        [...wide.subarray(0, 64)],
        [...norm].map((v) => Math.fround(v * 0.5)),
        name,
      );
      assert.ok(
        wide.subarray(64).every((v) => v === 0),
        name,
      );
    }
  });

  it("pads ffn_down in both directions: rows of 172 → 512, 64 rows → 256", async () => {
    const [down, wide] = [
      await floats(original, "blk.2.ffn_down.weight"),
      await floats(widened, "blk.2.ffn_down.weight"),
    ];
    assert.equal(wide.length, 512 * 256);
    for (let r = 0; r < 256; r++) {
      for (let c = 0; c < 512; c++) {
        const expected = r < 64 && c < 172 ? down[r * 172 + c]! : 0;
        if (wide[r * 512 + c] !== expected) assert.fail(`[${r}][${c}] = ${wide[r * 512 + c]}, expected ${expected}`);
      }
    }
  });

  it("extra layers copy the last layer with zero attn_output and ffn_down", async () => {
    for (const extra of [5, 6, 7]) {
      for (const part of ["attn_q", "attn_k", "attn_v", "ffn_gate", "ffn_up", "attn_norm", "ffn_norm"]) {
        assert.deepEqual(
          await floats(widened, `blk.${extra}.${part}.weight`),
          await floats(widened, `blk.4.${part}.weight`),
          `blk.${extra}.${part}`,
        );
      }
      assert.ok((await floats(widened, `blk.${extra}.attn_output.weight`)).every((v) => v === 0));
      assert.ok((await floats(widened, `blk.${extra}.ffn_down.weight`)).every((v) => v === 0));
    }
    // The original layers keep their non-zero outputs.
    assert.ok((await floats(widened, "blk.4.attn_output.weight")).some((v) => v !== 0));
  });

  describe("refuses to shrink", () => {
    const cases: [string, typeof SIZE, RegExp][] = [
      ["embd below 64", { ...SIZE, embd: 32 }, /--embd 32 is below the model's 64/],
      ["ff below 172", { ...SIZE, ff: 100 }, /--ff 100 is below the model's 172/],
      ["layers below 5", { ...SIZE, layers: 3 }, /--layers 3 is below the model's 5/],
    ];
    for (const [name, size, message] of cases) {
      it(`${name} throws and writes nothing`, async () => {
        const output = path.join(dir, `shrunk-${size.embd}-${size.ff}-${size.layers}.gguf`);
        await assert.rejects(widenModel(MODEL, output, size), message);
        await assert.rejects(access(output), { code: "ENOENT" });
      });
    }
  });

  describe("computes the same function in llama.cpp", () => {
    let llama: Llama;
    let reference: GreedyRun;
    let wide: GreedyRun;

    before(async () => {
      llama = await createLlama(1);
      reference = await greedyTokens(llama, MODEL, PROMPTS, 48);
      wide = await greedyTokens(llama, widenedPath, PROMPTS, 48);
    });

    after(async () => {
      await llama?.dispose();
    });

    it("llama.cpp loads the widened model at width 256", () => {
      assert.equal(reference.embeddingSize, 64);
      assert.equal(wide.embeddingSize, 256);
      assert.equal(wide.vocabFingerprint, reference.vocabFingerprint);
    });

    it("greedy decoding of 3 prompts × 48 tokens gives identical tokens", () => {
      for (const [i, prompt] of PROMPTS.entries()) {
        assert.equal(reference.tokens[i]!.length, 48, prompt);
        assert.deepEqual(wide.tokens[i], reference.tokens[i], prompt);
      }
      // The prompts lead to different stories, so the comparison is not trivially of one sequence.
      assert.notDeepEqual(reference.tokens[0], reference.tokens[2]);
    });
  });
});
