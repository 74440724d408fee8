import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import type { GgufFile } from "./reader.js";
import { GgmlType, tensorBytes, type TensorInfo } from "./types.js";
import type { TensorSource } from "./writer.js";

/** A tensor of a file, copied as is (streamed). */
export function copiedTensor(file: GgufFile, info: TensorInfo, rename?: string): TensorSource {
  const start = file.dataOffset + Number(info.offset);
  const bytes = tensorBytes(info);
  return {
    name: rename ?? info.name,
    dims: info.dims,
    type: info.type,
    async *chunks() {
      if (bytes === 0) return;
      for await (const chunk of createReadStream(file.path, {
        start,
        end: start + bytes - 1,
        highWaterMark: 1 << 20,
      })) {
        yield chunk as Buffer;
      }
    },
  };
}

/** Reads a whole f32 or f16 tensor as floats (for transforms of small source tensors). */
export async function readTensorFloats(file: GgufFile, info: TensorInfo): Promise<Float32Array> {
  const bytes = tensorBytes(info);
  const handle = await open(file.path, "r");
  try {
    const buffer = Buffer.alloc(bytes);
    await handle.read(buffer, 0, bytes, file.dataOffset + Number(info.offset));
    if (info.type === GgmlType.F32) return new Float32Array(buffer.buffer, buffer.byteOffset, bytes / 4).slice();
    if (info.type === GgmlType.F16) {
      const out = new Float32Array(bytes / 2);
      for (let i = 0; i < out.length; i++) out[i] = halfToFloat(buffer.readUInt16LE(i * 2));
      return out;
    }
    throw new Error(`tensor ${info.name} is ${GgmlType[info.type]}: only f32 and f16 sources can be transformed`);
  } finally {
    await handle.close();
  }
}

/**
 * A tensor whose rows are produced when it is written (its source read then, too), so a
 * derivation holds one tensor at a time, never the whole model.
 */
export function generatedTensor(
  name: string,
  dims: number[],
  type: GgmlType,
  rows: () => Iterable<Buffer> | AsyncIterable<Buffer>,
): TensorSource {
  return {
    name,
    dims,
    type,
    async *chunks() {
      let batch: Buffer[] = [];
      let size = 0;
      for await (const row of rows()) {
        batch.push(row);
        size += row.length;
        if (size >= 1 << 20) {
          yield Buffer.concat(batch);
          batch = [];
          size = 0;
        }
      }
      if (batch.length > 0) yield Buffer.concat(batch);
    },
  };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary32 → binary16, round to nearest even (as ggml's GGML_FP32_TO_FP16). */
export function floatToHalf(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    let half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    if (rest > midpoint || (rest === midpoint && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++; // a carry rolls into the exponent
  return sign | half;
}

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >>> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (mantissa / 1024);
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + mantissa / 1024);
}
