/** The result of decoding a message at a trust boundary. */
export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * A compact binary form for a hot-path contract's common messages (a greedy round, its reply, a
 * session's tokens), beside JSON for everything else. `encode` gives null for a value it does not
 * cover (the transport sends JSON then); `decode` gives null for bytes that are not its form (the
 * transport reads them as JSON with the contract's schema) and checks by hand exactly what that
 * schema would, so a malformed message is refused with a reason either way.
 */
export interface PayloadCodec<T> {
  encode(value: T): Uint8Array | null;
  decode(bytes: Uint8Array): Decoded<T> | null;
}

/**
 * The first byte of a binary message. JSON starts with `{` (0x7b) or whitespace, never with it,
 * so a receiver tells the two forms apart by that byte alone.
 */
export const BINARY_TAG = 0xb1;

const MAX_U32 = 0xffff_ffff;
const ID_CHAR = /^[A-Za-z0-9_-]+$/;

/** Refusal of a binary message: its reason is what the sender is told. */
class Malformed extends Error {}

/** Writes a binary message into one buffer sized beforehand (no growth, no copies). */
export class BinaryWriter {
  private readonly view: DataView;
  readonly bytes: Uint8Array;
  private at = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  u8(value: number): this {
    this.view.setUint8(this.at, value);
    this.at += 1;
    return this;
  }

  u32(value: number): this {
    this.view.setUint32(this.at, value, true);
    this.at += 4;
    return this;
  }

  f64(value: number): this {
    this.view.setFloat64(this.at, value, true);
    this.at += 8;
    return this;
  }

  /** An identifier of letters, digits, '-' and '_' (checked by the caller): one length byte, then ASCII. */
  id(value: string): this {
    this.u8(value.length);
    for (let i = 0; i < value.length; i++) this.bytes[this.at + i] = value.charCodeAt(i);
    this.at += value.length;
    return this;
  }

  /** A count, then each token as a u32. */
  tokens(values: readonly number[]): this {
    this.u32(values.length);
    for (const value of values) this.u32(value);
    return this;
  }

  /** UTF-8 text with its byte length in front (`encoded`: Buffer.byteLength, known beforehand). */
  text(value: string, encoded: number): this {
    this.u32(encoded);
    Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.at, encoded).write(value, "utf8");
    this.at += encoded;
    return this;
  }
}

/** Reads a binary message; every read checks the bounds, every failure says what was wrong. */
export class BinaryReader {
  private readonly view: DataView;
  private at = 1; // after the tag

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(n: number, what: string): void {
    if (this.at + n > this.bytes.length) throw new Malformed(`binary message truncated in ${what}`);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.view.getUint8(this.at++);
  }

  u32(what: string): number {
    this.need(4, what);
    const value = this.view.getUint32(this.at, true);
    this.at += 4;
    return value;
  }

  /** A non-negative safe integer (positions, indices). */
  count(what: string): number {
    this.need(8, what);
    const value = this.view.getFloat64(this.at, true);
    this.at += 8;
    if (!Number.isSafeInteger(value) || value < 0) throw new Malformed(`${what}: expected a non-negative integer`);
    return value;
  }

  /** A finite, non-negative number (durations). */
  nonNegative(what: string): number {
    this.need(8, what);
    const value = this.view.getFloat64(this.at, true);
    this.at += 8;
    if (!(value >= 0 && Number.isFinite(value))) throw new Malformed(`${what}: expected a non-negative number`);
    return value;
  }

  /** A finite, non-negative number, or exactly `absent` (a field left out). */
  nonNegativeOr(what: string, absent: number): number {
    this.need(8, what);
    const value = this.view.getFloat64(this.at, true);
    this.at += 8;
    if (value === absent) return value;
    if (!(value >= 0 && Number.isFinite(value))) throw new Malformed(`${what}: expected a non-negative number`);
    return value;
  }

  boolean(what: string): boolean {
    const value = this.u8(what);
    if (value > 1) throw new Malformed(`${what}: expected a boolean`);
    return value === 1;
  }

  /** An identifier of 1 to `max` letters, digits, '-' or '_'. */
  id(what: string, max: number): string {
    const length = this.u8(what);
    this.need(length, what);
    const value = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.at, length).toString("latin1");
    this.at += length;
    if (length < 1 || length > max || !ID_CHAR.test(value))
      throw new Malformed(`${what}: letters, digits, '-' or '_' (1-${max})`);
    return value;
  }

  /** Up to `max` tokens (u32 ids: non-negative integers by construction). */
  tokens(what: string, max = Number.POSITIVE_INFINITY): number[] {
    const length = this.u32(what);
    if (length > max) throw new Malformed(`${what}: more than ${max} tokens`);
    this.need(length * 4, what);
    const tokens = new Array<number>(length);
    for (let i = 0; i < length; i++) tokens[i] = this.u32(what);
    return tokens;
  }

  text(what: string): string {
    const length = this.u32(what);
    this.need(length, what);
    const value = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.at, length).toString("utf8");
    this.at += length;
    return value;
  }

  /** The message must end here. */
  end(): void {
    if (this.at !== this.bytes.length)
      throw new Malformed(`${this.bytes.length - this.at} bytes after the binary message`);
  }
}

/**
 * A codec from a reader and a writer: `decode` is given only bytes that start with BINARY_TAG,
 * and a Malformed thrown by the reader becomes the refusal's reason.
 */
export function binaryCodec<T>(
  encode: (value: T) => Uint8Array | null,
  read: (reader: BinaryReader) => T,
): PayloadCodec<T> {
  return {
    encode,
    decode(bytes) {
      if (bytes.length === 0 || bytes[0] !== BINARY_TAG) return null;
      try {
        const reader = new BinaryReader(bytes);
        const value = read(reader);
        reader.end();
        return { ok: true, value };
      } catch (error) {
        if (error instanceof Malformed) return { ok: false, reason: error.message };
        throw error;
      }
    },
  };
}

/** Whether `value` fits the binary form's identifiers (else the message goes as JSON and its schema judges it). */
export function isWireId(value: string, max: number): boolean {
  return value.length >= 1 && value.length <= max && ID_CHAR.test(value);
}

/** Whether every token fits a u32 (else JSON). */
export function areWireTokens(tokens: readonly number[], max = Number.POSITIVE_INFINITY): boolean {
  if (tokens.length > max) return false;
  for (const token of tokens) if (!(Number.isInteger(token) && token >= 0 && token <= MAX_U32)) return false;
  return true;
}

/** Whether `value` is a non-negative safe integer (else JSON). */
export function isWireCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/** Refuses a binary message from a reader: `throw malformed("…")`. */
export function malformed(reason: string): Error {
  return new Malformed(reason);
}
