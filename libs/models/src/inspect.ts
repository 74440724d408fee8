import { GgufType, ggmlTypeName, readGguf, tensorBytes, vocabularyFingerprint, type GgufFile } from "#gguf";
import { llamaShape, type LlamaShape } from "./architecture.js";

export interface ModelReport {
  path: string;
  fileBytes: number;
  version: number;
  name: string | null;
  shape: LlamaShape;
  contextLength: number | null;
  vocabularySize: number;
  vocabFingerprint: string;
  parameters: number;
  /** Per tensor type: how many tensors and bytes. */
  tensorTypes: Array<{ type: string; tensors: number; bytes: number }>;
  tensors: Array<{ name: string; dims: number[]; type: string; bytes: number }>;
}

/** What `specfleet model inspect` shows: architecture, sizes, tensor types, fingerprint. */
export async function inspectModel(path: string): Promise<ModelReport> {
  const file = await readGguf(path);
  const shape = llamaShape(file);
  const tensors = file.tensors.map((t) => ({
    name: t.name,
    dims: t.dims,
    type: ggmlTypeName(t.type),
    bytes: tensorBytes(t),
  }));
  const byType = new Map<string, { tensors: number; bytes: number }>();
  for (const t of tensors) {
    const entry = byType.get(t.type) ?? { tensors: 0, bytes: 0 };
    entry.tensors++;
    entry.bytes += t.bytes;
    byType.set(t.type, entry);
  }
  return {
    path,
    fileBytes: file.fileSize,
    version: file.version,
    name: stringMeta(file, "general.name"),
    shape,
    contextLength: numberMeta(file, `${shape.architecture}.context_length`),
    vocabularySize: vocabularySize(file),
    vocabFingerprint: vocabularyFingerprint(file.metadata),
    parameters: file.tensors.reduce((sum, t) => sum + t.dims.reduce((a, b) => a * b, 1), 0),
    tensorTypes: [...byType].map(([type, v]) => ({ type, ...v })),
    tensors,
  };
}

function vocabularySize(file: GgufFile): number {
  const tokens = file.metadata.get("tokenizer.ggml.tokens");
  return tokens?.type === GgufType.ARRAY ? tokens.value.items.length : 0;
}

function stringMeta(file: GgufFile, key: string): string | null {
  const v = file.metadata.get(key);
  return v?.type === GgufType.STRING ? v.value : null;
}

function numberMeta(file: GgufFile, key: string): number | null {
  const v = file.metadata.get(key);
  return typeof v?.value === "number" ? v.value : typeof v?.value === "bigint" ? Number(v.value) : null;
}
