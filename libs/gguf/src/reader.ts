import { open, stat } from "node:fs/promises";
import { BinaryReader } from "./binary-reader.js";
import {
  DEFAULT_ALIGNMENT,
  GGML_BLOCK,
  GGUF_MAGIC,
  GgufType,
  ggmlTypeName,
  tensorBytes,
  type GgufArray,
  type GgufScalar,
  type GgufValue,
  type TensorInfo,
} from "./types.js";

/** The file is not GGUF, or not a GGUF this reader understands; the message says which. */
export class GgufFormatError extends Error {
  constructor(path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.name = "GgufFormatError";
  }
}

export interface GgufFile {
  path: string;
  version: number;
  /** In file order, each value with its exact type. */
  metadata: Map<string, GgufValue>;
  tensors: TensorInfo[];
  alignment: number;
  /** Absolute offset of the tensor data section. */
  dataOffset: number;
  fileSize: number;
}

/** Reads the header, metadata and tensor infos of a GGUF v2/v3 file; tensor data stays on disk. */
export async function readGguf(path: string): Promise<GgufFile> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new GgufFormatError(
      path,
      error.code === "ENOENT" ? "no such file" : `cannot read it (${error.code ?? error.message})`,
    );
  });
  if (!info.isFile()) throw new GgufFormatError(path, "not a file");
  const fileSize = info.size;
  const file = await open(path, "r").catch((error: NodeJS.ErrnoException) => {
    throw new GgufFormatError(path, `cannot open it (${error.code ?? error.message})`);
  });
  try {
    const reader = new BinaryReader(file);
    if (fileSize < 24 || (await reader.u32()) !== GGUF_MAGIC)
      throw new GgufFormatError(path, "not a GGUF file (bad magic)");
    const version = await reader.u32();
    if (version !== 2 && version !== 3)
      throw new GgufFormatError(path, `GGUF version ${version} is not supported (2 or 3)`);
    const tensorCount = await reader.count("tensor count", 1 << 20);
    const kvCount = await reader.count("metadata count", 1 << 20);
    const metadata = new Map<string, GgufValue>();
    for (let i = 0; i < kvCount; i++) {
      const key = await reader.string();
      metadata.set(key, await readValue(reader, await reader.u32()));
    }
    const tensors: TensorInfo[] = [];
    for (let i = 0; i < tensorCount; i++) {
      const name = await reader.string();
      const nDims = await reader.u32();
      if (nDims < 1 || nDims > 4) throw new GgufFormatError(path, `tensor ${name} has ${nDims} dimensions`);
      const dims: number[] = [];
      for (let d = 0; d < nDims; d++) dims.push(Number(await reader.u64()));
      const type = await reader.u32();
      tensors.push({ name, dims, type, offset: await reader.u64() });
    }
    const alignmentValue = metadata.get("general.alignment");
    const alignment = alignmentValue?.type === GgufType.UINT32 ? alignmentValue.value : DEFAULT_ALIGNMENT;
    if (alignment <= 0 || (alignment & (alignment - 1)) !== 0)
      throw new GgufFormatError(path, `general.alignment ${alignment} is not a power of two`);
    const dataOffset = alignUp(reader.position, alignment);
    for (const tensor of tensors) {
      // A type this reader does not know (llama.cpp keeps adding them) cannot be size-checked;
      // the metadata, and so the fingerprint, are still good.
      if (!GGML_BLOCK[tensor.type]) continue;
      let bytes: number;
      try {
        bytes = tensorBytes(tensor);
      } catch (error) {
        throw new GgufFormatError(path, `tensor ${tensor.name}: ${(error as Error).message}`);
      }
      if (dataOffset + Number(tensor.offset) + bytes > fileSize) {
        throw new GgufFormatError(
          path,
          `tensor ${tensor.name} (${ggmlTypeName(tensor.type)}) runs past the end of the file: truncated?`,
        );
      }
    }
    return { path, version, metadata, tensors, alignment, dataOffset, fileSize };
  } catch (error) {
    if (error instanceof GgufFormatError) throw error;
    throw new GgufFormatError(path, (error as Error).message);
  } finally {
    await file.close();
  }
}

export function alignUp(offset: number, alignment: number): number {
  return Math.ceil(offset / alignment) * alignment;
}

async function readValue(reader: BinaryReader, type: GgufType): Promise<GgufValue> {
  if (type === GgufType.ARRAY) return { type, value: await readArray(reader) };
  if (type === GgufType.STRING) return { type, value: await reader.string() };
  if (type === GgufType.BOOL) return { type, value: (await reader.u8()) !== 0 };
  if (type === GgufType.UINT64) return { type, value: await reader.u64() };
  if (type === GgufType.INT64) return { type, value: await reader.i64() };
  return { type, value: (await readScalar(reader, type)) as number } as GgufValue;
}

async function readArray(reader: BinaryReader): Promise<GgufArray> {
  const itemType: GgufType = await reader.u32();
  const length = await reader.count("array length", 1 << 28);
  if (itemType === GgufType.ARRAY) {
    const items: GgufArray[] = [];
    for (let i = 0; i < length; i++) items.push(await readArray(reader));
    return { itemType, items };
  }
  const items: GgufScalar[] = [];
  for (let i = 0; i < length; i++) items.push(await readScalar(reader, itemType));
  return { itemType, items };
}

async function readScalar(reader: BinaryReader, type: GgufType): Promise<GgufScalar> {
  switch (type) {
    case GgufType.UINT8:
      return reader.u8();
    case GgufType.INT8:
      return reader.i8();
    case GgufType.UINT16:
      return reader.u16();
    case GgufType.INT16:
      return reader.i16();
    case GgufType.UINT32:
      return reader.u32();
    case GgufType.INT32:
      return reader.i32();
    case GgufType.FLOAT32:
      return reader.f32();
    case GgufType.FLOAT64:
      return reader.f64();
    case GgufType.UINT64:
      return reader.u64();
    case GgufType.INT64:
      return reader.i64();
    case GgufType.BOOL:
      return (await reader.u8()) !== 0;
    case GgufType.STRING:
      return reader.string();
    default:
      throw new Error(`unknown metadata value type ${String(type)}`);
  }
}
