import {
  copiedTensor,
  floatToHalf,
  generatedTensor,
  GgmlType,
  GgufType,
  readGguf,
  readTensorFloats,
  setMetaNumber,
  writeGguf,
  type GgufFile,
  type TensorInfo,
  type TensorSource,
  type WriteProgress,
} from "#gguf";
import { llamaShape, parseLayerTensor, refuseSameFile, type LlamaShape } from "./architecture.js";

export interface WidenOptions {
  /** New embedding width D ≥ d. */
  embd: number;
  /** New feed-forward width F ≥ the original (one width for all layers: llama.cpp needs it). */
  ff: number;
  /** New layer count L ≥ the original. */
  layers: number;
  /**
   * Type of the widened matrices (norms stay f32). f16 halves the file and is what makes a
   * verify window cheap on CPU (llama.cpp's batched f16 path); f32 keeps the source's values
   * bit for bit. Default f32.
   */
  matrixType?: "f32" | "f16";
}

/**
 * A benchmark target that computes the same function as its source at the cost of a bigger
 * model. Every weight is zero-padded from width d to D (and feed-forward f to F). RMSNorm over
 * zero-padded activations sees a mean square d/D times smaller, so its weights are scaled by
 * √(d/D) and its epsilon by d/D, which gives back exactly the original normalised values. The
 * heads keep their width through `attention.key_length`/`value_length`. Extra layers copy the
 * last one with zero `attn_output` and `ffn_down`: they cost a full layer and add nothing to the
 * residual stream.
 */
export async function widenModel(
  input: string,
  output: string,
  options: WidenOptions,
  onProgress?: (p: WriteProgress) => void,
): Promise<void> {
  await refuseSameFile(input, output);
  const file = await readGguf(input);
  const shape = llamaShape(file);
  if (shape.architecture !== "llama")
    throw new Error(`widen supports the llama architecture, not ${shape.architecture}`);
  for (const [flag, value] of Object.entries({ embd: options.embd, ff: options.ff, layers: options.layers })) {
    if (!Number.isInteger(value) || value <= 0)
      throw new Error(`--${flag} must be a whole number above 0, got ${value}`);
  }
  if (shape.feedForward === 0 || shape.rmsEpsilon === 0)
    throw new Error("widen needs one feed-forward width and an RMSNorm epsilon in the metadata");
  if (options.embd < shape.embedding) throw new Error(`--embd ${options.embd} is below the model's ${shape.embedding}`);
  if (options.ff < shape.feedForward) throw new Error(`--ff ${options.ff} is below the model's ${shape.feedForward}`);
  if (options.layers < shape.blocks) throw new Error(`--layers ${options.layers} is below the model's ${shape.blocks}`);

  const widener = new Widener(file, shape, options);
  const tensors: TensorSource[] = [];
  const lastLayer: TensorInfo[] = [];
  for (const info of file.tensors) {
    const layer = parseLayerTensor(info.name);
    if (layer?.layer === shape.blocks - 1) lastLayer.push(info);
    tensors.push(widener.widen(info, info.name, false));
  }
  for (let extra = shape.blocks; extra < options.layers; extra++) {
    for (const info of lastLayer)
      tensors.push(widener.widen(info, `blk.${extra}.${parseLayerTensor(info.name)!.rest}`, true));
  }

  const metadata = new Map(file.metadata);
  const key = (name: string) => `${shape.architecture}.${name}`;
  setMetaNumber(metadata, key("embedding_length"), options.embd);
  setMetaNumber(metadata, key("feed_forward_length"), options.ff);
  setMetaNumber(metadata, key("block_count"), options.layers);
  setMetaNumber(metadata, "general.file_type", options.matrixType === "f16" ? 1 : 0); // llama_ftype ALL_F32 / MOSTLY_F16
  setMetaNumber(metadata, key("attention.key_length"), shape.headDim);
  setMetaNumber(metadata, key("attention.value_length"), shape.headDim);
  metadata.set(key("attention.layer_norm_rms_epsilon"), {
    type: GgufType.FLOAT32,
    value: (shape.rmsEpsilon * shape.embedding) / options.embd,
  });
  const baseName = metadata.get("general.name");
  if (baseName?.type === GgufType.STRING)
    metadata.set("general.name", { type: GgufType.STRING, value: `${baseName.value}-w${options.embd}` });
  await writeGguf(output, { version: file.version, metadata, tensors }, onProgress);
}

class Widener {
  private readonly normScale: number;

  constructor(
    private readonly file: GgufFile,
    private readonly shape: LlamaShape,
    private readonly to: WidenOptions,
  ) {
    this.normScale = Math.sqrt(shape.embedding / to.embd);
  }

  widen(info: TensorInfo, name: string, silent: boolean): TensorSource {
    const part = parseLayerTensor(info.name)?.rest ?? info.name;
    const { embedding: d, feedForward: f } = this.shape;
    const { embd: D, ff: F } = this.to;
    switch (part) {
      case "token_embd.weight":
      case "output.weight":
        return this.padded(info, name, d, D, null, 1);
      case "output_norm.weight":
      case "attn_norm.weight":
      case "ffn_norm.weight":
        return this.padded(info, name, d, D, null, this.normScale);
      case "attn_q.weight":
      case "attn_k.weight":
      case "attn_v.weight":
        return this.padded(info, name, d, D, null, 1);
      case "attn_output.weight":
        return this.padded(info, name, null, null, D, silent ? 0 : 1);
      case "ffn_gate.weight":
      case "ffn_up.weight":
        return this.padded(info, name, d, D, F, 1);
      case "ffn_down.weight":
        return this.padded(info, name, f, F, D, silent ? 0 : 1);
      default:
        if (parseLayerTensor(info.name)) throw new Error(`do not know how to widen ${info.name}`);
        return copiedTensor(this.file, info, name);
    }
  }

  /**
   * Rows of length `from` become rows of length `to` (zeros appended); the row count grows to
   * `rows` with zero rows; every value is multiplied by `scale`. Written as f32.
   */
  private padded(
    info: TensorInfo,
    name: string,
    from: number | null,
    to: number | null,
    rows: number | null,
    scale: number,
  ): TensorSource {
    const [rowLength, rowCount = 1] = info.dims as [number, number?];
    if (from !== null && rowLength !== from) throw new Error(`${info.name}: rows of ${rowLength}, expected ${from}`);
    const file = this.file;
    const newLength = to ?? rowLength;
    const newRows = rows ?? rowCount;
    const dims = info.dims.length === 1 ? [newLength] : [newLength, newRows];
    const half = this.to.matrixType === "f16" && dims.length === 2;
    return generatedTensor(name, dims, half ? GgmlType.F16 : GgmlType.F32, async function* () {
      const values = await readTensorFloats(file, info);
      for (let r = 0; r < newRows; r++) {
        const row = new Float32Array(newLength);
        if (r < rowCount && scale !== 0) {
          for (let c = 0; c < rowLength; c++) row[c] = values[r * rowLength + c]! * scale;
        }
        yield half ? toHalfRow(row) : Buffer.from(row.buffer);
      }
    });
  }
}

function toHalfRow(row: Float32Array): Buffer {
  const out = Buffer.alloc(row.length * 2);
  for (let i = 0; i < row.length; i++) out.writeUInt16LE(floatToHalf(row[i]!), i * 2);
  return out;
}
