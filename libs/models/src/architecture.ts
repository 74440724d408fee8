import { realpath } from "node:fs/promises";
import { resolve } from "node:path";
import { metaNumber, metaOptionalNumber, metaString, type GgufFile } from "#gguf";

/** The shape of a llama-architecture model, read from its metadata. */
export interface LlamaShape {
  architecture: string;
  embedding: number;
  /** 0 when the file does not give one width for all layers. */
  feedForward: number;
  blocks: number;
  heads: number;
  headsKv: number;
  /** Per-head width of keys and values. */
  headDim: number;
  /** 0 when the model does not use RMSNorm. */
  rmsEpsilon: number;
}

export function llamaShape(file: GgufFile): LlamaShape {
  const architecture = metaString(file.metadata, "general.architecture");
  const key = (name: string) => `${architecture}.${name}`;
  const embedding = metaNumber(file.metadata, key("embedding_length"));
  const heads = metaNumber(file.metadata, key("attention.head_count"));
  return {
    architecture,
    embedding,
    feedForward: metaOptionalNumber(file.metadata, key("feed_forward_length")) ?? 0,
    blocks: metaNumber(file.metadata, key("block_count")),
    heads,
    headsKv: metaOptionalNumber(file.metadata, key("attention.head_count_kv")) ?? heads,
    headDim: metaOptionalNumber(file.metadata, key("attention.key_length")) ?? embedding / heads,
    rmsEpsilon: metaOptionalNumber(file.metadata, key("attention.layer_norm_rms_epsilon")) ?? 0,
  };
}

/** Deriving a file onto itself would read tensors from the file being replaced: refuse. */
export async function refuseSameFile(input: string, output: string): Promise<void> {
  const real = async (p: string) => realpath(p).catch(() => resolve(p));
  if ((await real(input)) === (await real(output)))
    throw new Error(`the output ${output} is the input: write to another file`);
}

/** `blk.12.attn_q.weight` → { layer: 12, rest: "attn_q.weight" }. */
export function parseLayerTensor(name: string): { layer: number; rest: string } | null {
  const match = /^blk\.(\d+)\.(.+)$/.exec(name);
  return match ? { layer: Number(match[1]), rest: match[2]! } : null;
}
