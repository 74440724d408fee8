import {
  copiedTensor,
  generatedTensor,
  GgmlType,
  GgufType,
  quantizeRow,
  readGguf,
  readTensorFloats,
  setMetaNumber,
  writeGguf,
  type GgufFile,
  type QuantizedType,
  type TensorInfo,
  type TensorSource,
  type WriteProgress,
} from "#gguf";
import { llamaShape, parseLayerTensor, refuseSameFile } from "./architecture.js";

export interface DeriveOptions {
  quantize?: "q8_0" | "q4_0";
  /** Layers to keep, in order (renumbered from 0); all when absent. */
  keepLayers?: number[];
}

/** llama.cpp's `llama_ftype` values for the whole-file type. */
const FILE_TYPE = { q8_0: 7, q4_0: 2 } as const;

/**
 * A drafter from a target: quantized to q8_0/q4_0 and/or with a subset of its layers. The
 * vocabulary (and so the fingerprint) is untouched. Only 2-D f32/f16 weights whose row length is
 * a multiple of 32 are quantized; the rest (norms, rows like stories260K's 172-long ffn_down)
 * stay as they are.
 */
export async function deriveModel(
  input: string,
  output: string,
  options: DeriveOptions,
  onProgress?: (p: WriteProgress) => void,
): Promise<void> {
  await refuseSameFile(input, output);
  const file = await readGguf(input);
  const shape = llamaShape(file);
  const keep = options.keepLayers ?? [...Array(shape.blocks).keys()];
  for (const layer of keep) {
    if (!Number.isInteger(layer) || layer < 0 || layer >= shape.blocks)
      throw new Error(`layer ${layer} does not exist: the model has layers 0..${shape.blocks - 1}`);
  }
  if (new Set(keep).size !== keep.length || keep.length === 0) throw new Error("keep at least one layer, each once");
  const quantType = options.quantize === "q8_0" ? GgmlType.Q8_0 : options.quantize === "q4_0" ? GgmlType.Q4_0 : null;

  const tensors: TensorSource[] = [];
  for (const info of file.tensors) {
    const layer = parseLayerTensor(info.name);
    let name = info.name;
    if (layer) {
      const index = keep.indexOf(layer.layer);
      if (index < 0) continue;
      name = `blk.${index}.${layer.rest}`;
    }
    tensors.push(
      quantType !== null && quantizable(info)
        ? quantizedTensor(file, info, name, quantType)
        : copiedTensor(file, info, name),
    );
  }
  const metadata = new Map(file.metadata);
  setMetaNumber(metadata, `${shape.architecture}.block_count`, keep.length);
  if (options.quantize) setMetaNumber(metadata, "general.file_type", FILE_TYPE[options.quantize]);
  const suffix = [options.quantize, options.keepLayers ? `L${keep.join("-")}` : undefined].filter(Boolean).join("-");
  const baseName = metadata.get("general.name");
  if (baseName?.type === GgufType.STRING && suffix)
    metadata.set("general.name", { type: GgufType.STRING, value: `${baseName.value}-${suffix}` });
  await writeGguf(output, { version: file.version, metadata, tensors }, onProgress);
}

function quantizable(info: TensorInfo): boolean {
  return (
    info.dims.length >= 2 && info.dims[0]! % 32 === 0 && (info.type === GgmlType.F32 || info.type === GgmlType.F16)
  );
}

function quantizedTensor(file: GgufFile, info: TensorInfo, name: string, type: QuantizedType): TensorSource {
  const rowLength = info.dims[0]!;
  return generatedTensor(name, info.dims, type, async function* () {
    const values = await readTensorFloats(file, info);
    for (let start = 0; start < values.length; start += rowLength)
      yield quantizeRow(values.subarray(start, start + rowLength), type);
  });
}
