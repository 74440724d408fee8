/** GGUF v3 metadata value types (ggml/include/gguf.h, `enum gguf_type`). */
export enum GgufType {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

/** An array keeps the type of its items, so writing it back gives the same bytes. */
export interface GgufArray {
  itemType: GgufType;
  items: GgufScalar[] | GgufArray[];
}

export type GgufScalar = number | bigint | boolean | string;

/** A metadata value with its exact type: 64-bit integers are bigints, the rest numbers. */
export type GgufValue =
  | {
      type: Exclude<GgufType, GgufType.ARRAY | GgufType.STRING | GgufType.BOOL | GgufType.UINT64 | GgufType.INT64>;
      value: number;
    }
  | { type: GgufType.UINT64 | GgufType.INT64; value: bigint }
  | { type: GgufType.BOOL; value: boolean }
  | { type: GgufType.STRING; value: string }
  | { type: GgufType.ARRAY; value: GgufArray };

/** ggml tensor types this project reads and writes (ggml/include/ggml.h, `enum ggml_type`). */
export enum GgmlType {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  BF16 = 30,
}

/** Values per block and bytes per block of each type (ggml.c, `type_traits`). */
export const GGML_BLOCK: Record<number, { values: number; bytes: number }> = {
  [GgmlType.F32]: { values: 1, bytes: 4 },
  [GgmlType.F16]: { values: 1, bytes: 2 },
  [GgmlType.BF16]: { values: 1, bytes: 2 },
  [GgmlType.I8]: { values: 1, bytes: 1 },
  [GgmlType.I16]: { values: 1, bytes: 2 },
  [GgmlType.I32]: { values: 1, bytes: 4 },
  [GgmlType.I64]: { values: 1, bytes: 8 },
  [GgmlType.F64]: { values: 1, bytes: 8 },
  [GgmlType.Q4_0]: { values: 32, bytes: 18 },
  [GgmlType.Q4_1]: { values: 32, bytes: 20 },
  [GgmlType.Q5_0]: { values: 32, bytes: 22 },
  [GgmlType.Q5_1]: { values: 32, bytes: 24 },
  [GgmlType.Q8_0]: { values: 32, bytes: 34 },
  [GgmlType.Q8_1]: { values: 32, bytes: 36 },
  [GgmlType.Q2_K]: { values: 256, bytes: 84 },
  [GgmlType.Q3_K]: { values: 256, bytes: 110 },
  [GgmlType.Q4_K]: { values: 256, bytes: 144 },
  [GgmlType.Q5_K]: { values: 256, bytes: 176 },
  [GgmlType.Q6_K]: { values: 256, bytes: 210 },
  [GgmlType.Q8_K]: { values: 256, bytes: 292 },
};

export interface TensorInfo {
  name: string;
  /** ggml order: the row length first. */
  dims: number[];
  type: GgmlType;
  /** Offset of the data from the start of the data section. */
  offset: bigint;
}

export function ggmlTypeName(type: GgmlType): string {
  return GgmlType[type] ?? `type-${type}`;
}

export function tensorBytes(info: Pick<TensorInfo, "dims" | "type">): number {
  const block = GGML_BLOCK[info.type];
  if (!block) throw new Error(`unsupported tensor type ${ggmlTypeName(info.type)}`);
  const [rowLength = 1, ...rest] = info.dims;
  if (rowLength % block.values !== 0)
    throw new Error(`row length ${rowLength} is not a multiple of ${block.values} for ${ggmlTypeName(info.type)}`);
  const rows = rest.reduce((a, b) => a * b, 1);
  return (rowLength / block.values) * block.bytes * rows;
}

export const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian
export const DEFAULT_ALIGNMENT = 32;
