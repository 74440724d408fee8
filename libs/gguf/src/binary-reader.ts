import type { FileHandle } from "node:fs/promises";

/**
 * Sequential little-endian reads over a file, refilled chunk by chunk, so a header with a
 * large vocabulary is parsed without loading the file (tensor data is never read here).
 */
export class BinaryReader {
  private buffer = Buffer.alloc(0);
  private bufferStart = 0;
  private cursor = 0;

  constructor(
    private readonly file: FileHandle,
    private readonly chunkSize = 1 << 20,
  ) {}

  get position(): number {
    return this.bufferStart + this.cursor;
  }

  private async ensure(bytes: number): Promise<void> {
    if (this.cursor + bytes <= this.buffer.length) return;
    const keep = this.buffer.subarray(this.cursor);
    const want = Math.max(bytes - keep.length, this.chunkSize);
    const fresh = Buffer.alloc(want);
    const { bytesRead } = await this.file.read(fresh, 0, want, this.bufferStart + this.buffer.length);
    this.bufferStart += this.cursor;
    this.buffer = Buffer.concat([keep, fresh.subarray(0, bytesRead)]);
    this.cursor = 0;
    if (this.buffer.length < bytes) throw new Error(`unexpected end of file at byte ${this.position}`);
  }

  async bytes(count: number): Promise<Buffer> {
    await this.ensure(count);
    const out = this.buffer.subarray(this.cursor, this.cursor + count);
    this.cursor += count;
    return Buffer.from(out);
  }

  async u8() {
    await this.ensure(1);
    return this.buffer.readUInt8(this.cursor++);
  }
  async i8() {
    await this.ensure(1);
    return this.buffer.readInt8(this.cursor++);
  }
  async u16() {
    await this.ensure(2);
    const v = this.buffer.readUInt16LE(this.cursor);
    this.cursor += 2;
    return v;
  }
  async i16() {
    await this.ensure(2);
    const v = this.buffer.readInt16LE(this.cursor);
    this.cursor += 2;
    return v;
  }
  async u32() {
    await this.ensure(4);
    const v = this.buffer.readUInt32LE(this.cursor);
    this.cursor += 4;
    return v;
  }
  async i32() {
    await this.ensure(4);
    const v = this.buffer.readInt32LE(this.cursor);
    this.cursor += 4;
    return v;
  }
  async f32() {
    await this.ensure(4);
    const v = this.buffer.readFloatLE(this.cursor);
    this.cursor += 4;
    return v;
  }
  async f64() {
    await this.ensure(8);
    const v = this.buffer.readDoubleLE(this.cursor);
    this.cursor += 8;
    return v;
  }
  async u64() {
    await this.ensure(8);
    const v = this.buffer.readBigUInt64LE(this.cursor);
    this.cursor += 8;
    return v;
  }
  async i64() {
    await this.ensure(8);
    const v = this.buffer.readBigInt64LE(this.cursor);
    this.cursor += 8;
    return v;
  }

  /** A count stored as uint64 that must fit a JS number (array lengths, string lengths). */
  async count(what: string, max = 2 ** 32): Promise<number> {
    const value = await this.u64();
    if (value > BigInt(max))
      throw new Error(`${what} of ${value} at byte ${this.position - 8} is not plausible: the file is malformed`);
    return Number(value);
  }

  async string(): Promise<string> {
    const length = await this.count("string length", 1 << 30);
    return (await this.bytes(length)).toString("utf8");
  }
}
