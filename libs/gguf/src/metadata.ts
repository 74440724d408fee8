import { GgufType, type GgufValue } from "./types.js";

/** Typed access to metadata values, with errors that name the key. */
export function metaNumber(metadata: ReadonlyMap<string, GgufValue>, key: string): number {
  const value = metadata.get(key);
  if (!value) throw new Error(`metadata ${key} is missing`);
  if (typeof value.value === "number") return value.value;
  if (typeof value.value === "bigint") return Number(value.value);
  throw new Error(`metadata ${key} is not a number`);
}

export function metaString(metadata: ReadonlyMap<string, GgufValue>, key: string): string {
  const value = metadata.get(key);
  if (value?.type !== GgufType.STRING) throw new Error(`metadata ${key} is missing or not a string`);
  return value.value;
}

export function metaOptionalNumber(metadata: ReadonlyMap<string, GgufValue>, key: string): number | undefined {
  return metadata.has(key) ? metaNumber(metadata, key) : undefined;
}

/** Sets a number keeping the key's existing type (or the given one for a new key). */
export function setMetaNumber(
  metadata: Map<string, GgufValue>,
  key: string,
  value: number,
  newType = GgufType.UINT32,
): void {
  const type = metadata.get(key)?.type ?? newType;
  if (type === GgufType.UINT64 || type === GgufType.INT64) metadata.set(key, { type, value: BigInt(value) });
  else metadata.set(key, { type, value } as GgufValue);
}
