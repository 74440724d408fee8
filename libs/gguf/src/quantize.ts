import { floatToHalf } from "./tensor-data.js";
import { GgmlType } from "./types.js";

const BLOCK = 32;

/**
 * q8_0: blocks of 32 values as an f16 scale d = max|x| / 127 and 32 int8 q = round(x / d)
 * (ggml-quants.c, quantize_row_q8_0_ref).
 */
export function quantizeRowQ8_0(row: Float32Array): Buffer {
  const out = Buffer.alloc((row.length / BLOCK) * 34);
  for (let b = 0; b < row.length / BLOCK; b++) {
    let amax = 0;
    for (let j = 0; j < BLOCK; j++) amax = Math.max(amax, Math.abs(row[b * BLOCK + j]!));
    const d = Math.fround(amax / 127);
    const id = d ? Math.fround(1 / d) : 0;
    out.writeUInt16LE(floatToHalf(d), b * 34);
    for (let j = 0; j < BLOCK; j++) out.writeInt8(roundHalfAway(Math.fround(row[b * BLOCK + j]! * id)), b * 34 + 2 + j);
  }
  return out;
}

/**
 * q4_0: blocks of 32 values as an f16 scale d = m / -8, where m is the value of largest
 * magnitude, and 4-bit q = min(15, trunc(x / d + 8.5)); value j in the low nibble of byte j,
 * value j+16 in its high nibble (ggml-quants.c, quantize_row_q4_0_ref).
 */
export function quantizeRowQ4_0(row: Float32Array): Buffer {
  const out = Buffer.alloc((row.length / BLOCK) * 18);
  for (let b = 0; b < row.length / BLOCK; b++) {
    let amax = 0;
    let max = 0;
    for (let j = 0; j < BLOCK; j++) {
      const v = row[b * BLOCK + j]!;
      if (amax < Math.abs(v)) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = Math.fround(max / -8);
    const id = d ? Math.fround(1 / d) : 0;
    out.writeUInt16LE(floatToHalf(d), b * 18);
    for (let j = 0; j < BLOCK / 2; j++) {
      const x0 = Math.fround(row[b * BLOCK + j]! * id);
      const x1 = Math.fround(row[b * BLOCK + j + 16]! * id);
      const q0 = Math.min(15, Math.trunc(Math.fround(x0 + 8.5)));
      const q1 = Math.min(15, Math.trunc(Math.fround(x1 + 8.5)));
      out.writeUInt8(q0 | (q1 << 4), b * 18 + 2 + j);
    }
  }
  return out;
}

export type QuantizedType = GgmlType.Q8_0 | GgmlType.Q4_0;

export function quantizeRow(row: Float32Array, type: QuantizedType): Buffer {
  if (row.length % BLOCK !== 0)
    throw new Error(`a row of ${row.length} values cannot be quantized in blocks of ${BLOCK}`);
  return type === GgmlType.Q8_0 ? quantizeRowQ8_0(row) : quantizeRowQ4_0(row);
}

/** C's roundf: halves away from zero. */
function roundHalfAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}
