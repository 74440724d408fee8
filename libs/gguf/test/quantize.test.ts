import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  floatToHalf,
  GgmlType,
  halfToFloat,
  quantizeRow,
  quantizeRowQ4_0,
  quantizeRowQ8_0,
  readGguf,
  readTensorFloats,
} from "#gguf";

const MODEL = "/work/shared/models/stories260K.gguf";

/** ggml's dequantize_row_q8_0: x = d * q. */
function dequantizeQ8_0(bytes: Buffer): Float32Array {
  const blocks = bytes.length / 34;
  const out = new Float32Array(blocks * 32);
  for (let b = 0; b < blocks; b++) {
    const d = halfToFloat(bytes.readUInt16LE(b * 34));
    for (let j = 0; j < 32; j++) out[b * 32 + j] = d * bytes.readInt8(b * 34 + 2 + j);
  }
  return out;
}

/** ggml's dequantize_row_q4_0: x = d * (q - 8); value j in byte j's low nibble, value j+16 in its high nibble. */
function dequantizeQ4_0(bytes: Buffer): Float32Array {
  const blocks = bytes.length / 18;
  const out = new Float32Array(blocks * 32);
  for (let b = 0; b < blocks; b++) {
    const d = halfToFloat(bytes.readUInt16LE(b * 18));
    for (let j = 0; j < 16; j++) {
      const byte = bytes[b * 18 + 2 + j]!;
      out[b * 32 + j] = d * ((byte & 0x0f) - 8);
      out[b * 32 + j + 16] = d * ((byte >> 4) - 8);
    }
  }
  return out;
}

/** A literal port of ggml-quants.c quantize_row_q8_0_ref, every intermediate a C float. */
function ggmlQ8_0(row: Float32Array): Buffer {
  const fr = Math.fround;
  const out = Buffer.alloc((row.length / 32) * 34);
  for (let b = 0; b < row.length / 32; b++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(row[b * 32 + j]!));
    const d = fr(amax / 127);
    const id = d ? fr(1 / d) : 0;
    out.writeUInt16LE(floatToHalf(d), b * 34);
    for (let j = 0; j < 32; j++) {
      const x0 = fr(row[b * 32 + j]! * id);
      out.writeInt8(x0 < 0 ? -Math.round(-x0) : Math.round(x0), b * 34 + 2 + j); // roundf: halves away from 0
    }
  }
  return out;
}

/** A literal port of ggml-quants.c quantize_row_q4_0_ref. */
function ggmlQ4_0(row: Float32Array): Buffer {
  const fr = Math.fround;
  const out = Buffer.alloc((row.length / 32) * 18);
  for (let b = 0; b < row.length / 32; b++) {
    let amax = 0;
    let max = 0;
    for (let j = 0; j < 32; j++) {
      const v = row[b * 32 + j]!;
      if (amax < Math.abs(v)) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = fr(max / -8);
    const id = d ? fr(1 / d) : 0;
    out.writeUInt16LE(floatToHalf(d), b * 18);
    for (let j = 0; j < 16; j++) {
      const q0 = Math.min(15, Math.trunc(fr(fr(row[b * 32 + j]! * id) + 8.5)));
      const q1 = Math.min(15, Math.trunc(fr(fr(row[b * 32 + j + 16]! * id) + 8.5)));
      out[b * 18 + 2 + j] = q0 | (q1 << 4);
    }
  }
  return out;
}

/** Deterministic pseudo-random floats in [-1, 1) (mulberry32). */
function randomRow(length: number, seed: number, scale: number): Float32Array {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Float32Array.from({ length }, () => (next() * 2 - 1) * scale);
}

/** Per block: the largest |x - dequantized| divided by the block's step |d| (the f16 scale). */
function errorInSteps(row: Float32Array, back: Float32Array, bytes: Buffer, blockBytes: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < row.length / 32; b++) {
    const step = Math.abs(halfToFloat(bytes.readUInt16LE(b * blockBytes)));
    let worst = 0;
    for (let j = 0; j < 32; j++) worst = Math.max(worst, Math.abs(row[b * 32 + j]! - back[b * 32 + j]!));
    out.push(step === 0 ? (worst === 0 ? 0 : Infinity) : worst / step);
  }
  return out;
}

describe("quantizeRowQ8_0", () => {
  it("a hand-computed block: max 127 gives d = 1 (f16 0x3c00), q = roundf(x) with halves away from zero", () => {
    const values = [127, -127, 63.5, -63.5, 0.4, -0.4, 0.5, -0.5, 1, -1, 2.5, -2.5, 100.49, -100.51, 0, 3];
    const row = new Float32Array(64); // a second, all-zero block
    values.forEach((v, j) => (row[j] = v));
    for (let j = 16; j < 32; j++) row[j] = j - 16; // 0..15
    const expected = Buffer.alloc(68);
    expected.writeUInt16LE(0x3c00, 0);
    const q = [
      127,
      -127,
      64,
      -64,
      0,
      0,
      1,
      -1,
      1,
      -1,
      3,
      -3,
      100,
      -101,
      0,
      3,
      ...Array.from({ length: 16 }, (_, i) => i),
    ];
    q.forEach((v, j) => expected.writeInt8(v, 2 + j));
    // Second block: amax 0 → d 0, every q 0: 34 zero bytes.
    const got = quantizeRowQ8_0(row);
    assert.equal(got.length, 68);
    assert.deepEqual([...got], [...expected]);
    assert.deepEqual([...got.subarray(0, 2)], [0x00, 0x3c]);
  });

  it("a block with max |x| = 0.5 has d = 0.5/127 stored as f16 0x1c08, and ±max quantizes to ±127", () => {
    const row = Float32Array.from({ length: 32 }, (_, j) => (j - 16) / 32); // -0.5 .. 0.46875
    const got = quantizeRowQ8_0(row);
    assert.equal(got.readUInt16LE(0), floatToHalf(Math.fround(0.5 / 127)));
    assert.equal(got.readUInt16LE(0), 0x1c08);
    assert.equal(got.readInt8(2), -127);
    assert.equal(got.readInt8(2 + 16), 0);
    assert.equal(got.readInt8(2 + 24), 64); // 0.25 / (0.5/127) = 63.5 → 64 (away from zero)
  });

  it("dequantizes within half a step (plus the f16 rounding of the scale) on random rows", () => {
    for (const [seed, scale] of [
      [1, 1],
      [2, 0.01],
      [3, 300],
      [4, 0.1],
    ] as const) {
      const row = randomRow(1024, seed, scale);
      const bytes = quantizeRowQ8_0(row);
      assert.equal(bytes.length, 32 * 34);
      const back = dequantizeQ8_0(bytes);
      const steps = errorInSteps(row, back, bytes, 34);
      const worst = Math.max(...steps);
      assert.ok(worst <= 0.5 + 128 * 2 ** -11, `seed ${seed} scale ${scale}: max error ${worst} steps`);
      assert.ok(worst <= 1);
      for (let b = 0; b < 32; b++) {
        let amax = 0;
        for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(row[b * 32 + j]!));
        assert.equal(bytes.readUInt16LE(b * 34), floatToHalf(Math.fround(amax / 127)), `scale bytes of block ${b}`);
      }
    }
  });

  it("matches ggml's quantize_row_q8_0_ref byte for byte on random rows", () => {
    for (let seed = 10; seed < 20; seed++) {
      const row = randomRow(256, seed, 2);
      assert.deepEqual([...quantizeRowQ8_0(row)], [...ggmlQ8_0(row)], `seed ${seed}`);
    }
  });

  it("matches ggml byte for byte on rows of values near half steps (x / d ≈ k + 0.5), where rounding decides", () => {
    for (let seed = 50; seed < 60; seed++) {
      const noise = randomRow(256, seed, 1);
      const row = new Float32Array(256);
      for (let b = 0; b < 8; b++) {
        const amax = 0.05 + Math.abs(noise[b * 32]!) * 4;
        row[b * 32] = amax;
        for (let j = 1; j < 32; j++) row[b * 32 + j] = ((Math.round(noise[b * 32 + j]! * 126) + 0.5) / 127) * amax;
      }
      assert.deepEqual([...quantizeRowQ8_0(row)], [...ggmlQ8_0(row)], `seed ${seed}`);
    }
  });

  // Regression: quantize.ts once computed id = 1 / d in double precision where ggml has `const float id = 1.0f/d`;
  // a value whose x * id lands within an f32 rounding of k + 0.5 then got a different q (-6 instead of -7 here).
  it("matches ggml at a rounding boundary (x / d ≈ -6.5, where id must be an f32)", () => {
    const row = new Float32Array(32);
    row[0] = 0.10453081130981445;
    row[1] = -0.005350002087652683;
    assert.equal(row[0], 0.10453081130981445); // both exact f32 values
    assert.equal(row[1], -0.005350002087652683);
    assert.equal(ggmlQ8_0(row).readInt8(3), -7);
    assert.equal(quantizeRowQ8_0(row).readInt8(3), -7);
  });
});

describe("quantizeRowQ4_0", () => {
  it("a hand-computed block: max -8 gives d = 1 (f16 0x3c00), q = min(15, trunc(x + 8.5))", () => {
    const row = new Float32Array(32);
    const low = [-8, 7, 8, 0, 0.5, -0.5, 0.49, -3, 7.6, -7.6, 1, 2, 3, 4, 5, 6]; // values 0..15
    const high = [1, -1, 0.25, -0.51, 6.5, -6.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]; // values 16..31
    low.forEach((v, j) => (row[j] = v));
    high.forEach((v, j) => (row[16 + j] = v));
    // q: -8→0, 7→15, 8→16→15 (clipped), 0→8, 0.5→9, -0.5→8, 0.49→8, -3→5, 7.6→16→15, -7.6→0, 1→9, 2→10, 3→11, 4→12, 5→13, 6→14
    const qLow = [0, 15, 15, 8, 9, 8, 8, 5, 15, 0, 9, 10, 11, 12, 13, 14];
    // 1→9, -1→7, 0.25→8, -0.51→7, 6.5→15, -6.5→2, 0→8 …
    const qHigh = [9, 7, 8, 7, 15, 2, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8];
    const expected = Buffer.alloc(18);
    expected.writeUInt16LE(0x3c00, 0);
    for (let j = 0; j < 16; j++) expected[2 + j] = qLow[j]! | (qHigh[j]! << 4);
    const got = quantizeRowQ4_0(row);
    assert.deepEqual([...got], [...expected]);
    assert.deepEqual([...got.subarray(0, 6)], [0x00, 0x3c, 0x90, 0x7f, 0x8f, 0x78]);
  });

  it("a positive max gives a negative scale (f16 0xbc00 for max 8); -max is clipped to q = 15, one step off", () => {
    const row = new Float32Array(32);
    row[0] = 8;
    row[1] = -8;
    row[2] = 4;
    const got = quantizeRowQ4_0(row);
    assert.equal(got.readUInt16LE(0), 0xbc00);
    assert.equal(got[2], 0 | (8 << 4)); // 8 → 0; value 16 is 0 → 8
    assert.equal(got[3], 15 | (8 << 4)); // -8 → 16.5 → 15
    assert.equal(got[4], 4 | (8 << 4)); // 4 → -4 + 8.5 → 4
    const back = dequantizeQ4_0(got);
    assert.deepEqual([back[0], back[1], back[2], back[16]], [8, -7, 4, -0]);
  });

  it("an all-zero block is d = 0 / -8 = -0 (f16 0x8000, as in ggml) and every nibble 8", () => {
    const got = quantizeRowQ4_0(new Float32Array(32));
    assert.deepEqual([...got], [0x00, 0x80, ...Array(16).fill(0x88)]);
    assert.deepEqual([...got], [...ggmlQ4_0(new Float32Array(32))]);
  });

  it("dequantizes within one step on random rows, and puts the scale f16(max / -8) in the first two bytes", () => {
    for (const [seed, scale] of [
      [5, 1],
      [6, 0.02],
      [7, 500],
    ] as const) {
      const row = randomRow(1024, seed, scale);
      const bytes = quantizeRowQ4_0(row);
      assert.equal(bytes.length, 32 * 18);
      const back = dequantizeQ4_0(bytes);
      const steps = errorInSteps(row, back, bytes, 18);
      const worst = Math.max(...steps);
      assert.ok(worst <= 1 + 8 * 2 ** -11, `seed ${seed} scale ${scale}: max error ${worst} steps`);
      // Most values are rounded to nearest: the mean error is well under half a step.
      let sum = 0;
      for (let i = 0; i < row.length; i++)
        sum += Math.abs(row[i]! - back[i]!) / Math.abs(halfToFloat(bytes.readUInt16LE(Math.floor(i / 32) * 18)));
      assert.ok(sum / row.length < 0.3, `mean error ${sum / row.length} steps`);
      for (let b = 0; b < 32; b++) {
        let amax = 0;
        let max = 0;
        for (let j = 0; j < 32; j++) {
          const v = row[b * 32 + j]!;
          if (Math.abs(v) > amax) [amax, max] = [Math.abs(v), v];
        }
        assert.equal(bytes.readUInt16LE(b * 18), floatToHalf(Math.fround(max / -8)), `scale bytes of block ${b}`);
      }
    }
  });

  it("matches ggml's quantize_row_q4_0_ref byte for byte on random rows", () => {
    for (let seed = 30; seed < 40; seed++) {
      const row = randomRow(256, seed, 3);
      assert.deepEqual([...quantizeRowQ4_0(row)], [...ggmlQ4_0(row)], `seed ${seed}`);
    }
  });
});

describe("quantizeRow on stories260K weights", () => {
  it("quantizes every row of blk.0.attn_q.weight within the error bounds", async () => {
    const file = await readGguf(MODEL);
    const info = file.tensors.find((t) => t.name === "blk.0.attn_q.weight")!;
    const values = await readTensorFloats(file, info);
    for (let r = 0; r < info.dims[1]!; r++) {
      const row = values.subarray(r * 64, (r + 1) * 64);
      const q8 = quantizeRow(row, GgmlType.Q8_0);
      const q4 = quantizeRow(row, GgmlType.Q4_0);
      assert.ok(q8.equals(quantizeRowQ8_0(row)) && q4.equals(quantizeRowQ4_0(row)));
      assert.equal(q8.length, 68);
      assert.equal(q4.length, 36);
      assert.ok(Math.max(...errorInSteps(row, dequantizeQ8_0(q8), q8, 34)) <= 0.57);
      assert.ok(Math.max(...errorInSteps(row, dequantizeQ4_0(q4), q4, 18)) <= 1.004);
    }
  });
});
