import { createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";
import { rename, rm } from "node:fs/promises";
import { alignUp } from "./reader.js";
import {
  DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GgufType,
  tensorBytes,
  type GgufArray,
  type GgufScalar,
  type GgufValue,
  type TensorInfo,
} from "./types.js";

/** A tensor to write: its shape and type, and its bytes as a stream of chunks. */
export interface TensorSource {
  name: string;
  dims: number[];
  type: TensorInfo["type"];
  chunks(): AsyncIterable<Buffer>;
}

export interface GgufDocument {
  version: number;
  metadata: Map<string, GgufValue>;
  tensors: TensorSource[];
}

export interface WriteProgress {
  tensor: string;
  tensorsDone: number;
  tensorsTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

/**
 * Writes a GGUF file tensor by tensor (a multi-GB model never sits in one buffer): header,
 * metadata, tensor infos with aligned offsets, padding, then each tensor's chunks.
 */
export async function writeGguf(
  path: string,
  doc: GgufDocument,
  onProgress?: (p: WriteProgress) => void,
): Promise<void> {
  const alignmentValue = doc.metadata.get("general.alignment");
  const alignment = alignmentValue?.type === GgufType.UINT32 ? alignmentValue.value : DEFAULT_ALIGNMENT;
  const sizes = doc.tensors.map((t) => tensorBytes(t));
  const offsets: number[] = [];
  let cursor = 0;
  for (const size of sizes) {
    cursor = alignUp(cursor, alignment);
    offsets.push(cursor);
    cursor += size;
  }
  const header = new HeaderWriter();
  header.u32(GGUF_MAGIC).u32(doc.version).u64(BigInt(doc.tensors.length)).u64(BigInt(doc.metadata.size));
  for (const [key, value] of doc.metadata) {
    header.string(key).u32(value.type);
    header.value(value);
  }
  doc.tensors.forEach((tensor, i) => {
    header.string(tensor.name).u32(tensor.dims.length);
    for (const dim of tensor.dims) header.u64(BigInt(dim));
    header.u32(tensor.type).u64(BigInt(offsets[i]!));
  });
  const headerBytes = header.finish();
  const dataStart = alignUp(headerBytes.length, alignment);

  // Written beside the target and renamed at the end: a failure or Ctrl-C never leaves a half
  // file under the real name, and a tensor copied from the file being replaced reads intact.
  const partial = `${path}.partial-${process.pid}`;
  const out = createWriteStream(partial);
  const failed = once(out, "error").then(([error]) => {
    throw error;
  });
  failed.catch(() => undefined);
  try {
    await writeBody(out, failed, doc, { headerBytes, dataStart, offsets, sizes }, onProgress);
    await rename(partial, path);
  } catch (error) {
    // Leave neither an open descriptor nor a half-written file behind.
    out.destroy();
    await rm(partial, { force: true });
    throw error;
  }
}

interface Layout {
  headerBytes: Buffer;
  dataStart: number;
  offsets: number[];
  sizes: number[];
}

async function writeBody(
  out: WriteStream,
  failed: Promise<never>,
  doc: GgufDocument,
  layout: Layout,
  onProgress?: (p: WriteProgress) => void,
): Promise<void> {
  const { headerBytes, dataStart, offsets, sizes } = layout;
  const bytesTotal = sizes.reduce((a, b) => a + b, 0);
  let bytesDone = 0;
  await write(out, headerBytes, failed);
  await write(out, Buffer.alloc(dataStart - headerBytes.length), failed);
  let position = 0;
  for (let i = 0; i < doc.tensors.length; i++) {
    const tensor = doc.tensors[i]!;
    await write(out, Buffer.alloc(offsets[i]! - position), failed);
    let written = 0;
    for await (const chunk of tensor.chunks()) {
      await write(out, chunk, failed);
      written += chunk.length;
    }
    if (written !== sizes[i])
      throw new Error(`tensor ${tensor.name}: wrote ${written} bytes, its shape needs ${sizes[i]}`);
    position = offsets[i]! + written;
    bytesDone += written;
    onProgress?.({ tensor: tensor.name, tensorsDone: i + 1, tensorsTotal: doc.tensors.length, bytesDone, bytesTotal });
  }
  out.end();
  await Promise.race([once(out, "finish"), failed]);
}

async function write(out: WriteStream, chunk: Buffer, failed: Promise<never>): Promise<void> {
  if (chunk.length === 0) return;
  if (!out.write(chunk)) await Promise.race([once(out, "drain"), failed]);
}

/** Builds the header in memory (metadata and tensor infos are small next to the data). */
class HeaderWriter {
  private readonly parts: Buffer[] = [];

  private push(size: number, fill: (b: Buffer) => void): this {
    const b = Buffer.alloc(size);
    fill(b);
    this.parts.push(b);
    return this;
  }

  u32(v: number) {
    return this.push(4, (b) => b.writeUInt32LE(v));
  }
  u64(v: bigint) {
    return this.push(8, (b) => b.writeBigUInt64LE(v));
  }
  string(s: string): this {
    const bytes = Buffer.from(s, "utf8");
    this.u64(BigInt(bytes.length));
    this.parts.push(bytes);
    return this;
  }

  value(value: GgufValue): void {
    if (value.type === GgufType.ARRAY) this.array(value.value);
    else this.scalar(value.type, value.value);
  }

  private array(array: GgufArray): void {
    this.u32(array.itemType).u64(BigInt(array.items.length));
    for (const item of array.items) {
      if (array.itemType === GgufType.ARRAY) this.array(item as GgufArray);
      else this.scalar(array.itemType, item as GgufScalar);
    }
  }

  private scalar(type: GgufType, v: GgufScalar): void {
    switch (type) {
      case GgufType.UINT8:
        this.push(1, (b) => b.writeUInt8(v as number));
        break;
      case GgufType.INT8:
        this.push(1, (b) => b.writeInt8(v as number));
        break;
      case GgufType.UINT16:
        this.push(2, (b) => b.writeUInt16LE(v as number));
        break;
      case GgufType.INT16:
        this.push(2, (b) => b.writeInt16LE(v as number));
        break;
      case GgufType.UINT32:
        this.push(4, (b) => b.writeUInt32LE(v as number));
        break;
      case GgufType.INT32:
        this.push(4, (b) => b.writeInt32LE(v as number));
        break;
      case GgufType.FLOAT32:
        this.push(4, (b) => b.writeFloatLE(v as number));
        break;
      case GgufType.FLOAT64:
        this.push(8, (b) => b.writeDoubleLE(v as number));
        break;
      case GgufType.UINT64:
        this.push(8, (b) => b.writeBigUInt64LE(v as bigint));
        break;
      case GgufType.INT64:
        this.push(8, (b) => b.writeBigInt64LE(v as bigint));
        break;
      case GgufType.BOOL:
        this.push(1, (b) => b.writeUInt8(v ? 1 : 0));
        break;
      case GgufType.STRING:
        this.string(v as string);
        break;
      default:
        throw new Error(`cannot write metadata value type ${String(type)}`);
    }
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}
