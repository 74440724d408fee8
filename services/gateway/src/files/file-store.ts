import type { Redis } from "ioredis";
import type { Logger } from "#logging";
import { storedFileSchema, type FilePurpose, type StoredFile } from "./file.js";

const keys = (id: string) => ({
  record: `specfleet:file:{${id}}`,
  content: `specfleet:file:{${id}}:content`,
});
const byTenant = (tenant: string) => `specfleet:files:tenant:${tenant}`;
/** What a deleted batch output file's record becomes, so that viewing its batch does not make it again. */
const DELETED = "deleted";

export interface FilePage {
  files: StoredFile[];
  hasMore: boolean;
}

export interface FileListOptions {
  limit: number;
  after?: string;
  order: "asc" | "desc";
  purpose?: FilePurpose;
}

/**
 * Files in Redis: each one's record (JSON) and content (one string, read back in ranges), both
 * expiring at the file's `expiresAt`, and each tenant's files by creation time (an index whose
 * expired entries are dropped as met).
 */
export class FileStore {
  constructor(
    private readonly redis: Redis,
    private readonly log: Logger,
  ) {}

  /** Stores an upload and its content. */
  async save(file: StoredFile, content: Buffer): Promise<void> {
    const k = keys(file.id);
    await this.redis
      .multi()
      .set(k.content, content, "PXAT", file.expiresAt)
      .set(k.record, JSON.stringify(file), "PXAT", file.expiresAt)
      .zadd(byTenant(file.tenant), file.createdAt, file.id)
      .exec();
  }

  /** Stores a file without content of its own unless it exists (or was deleted); whether it was stored. */
  async saveDerived(file: StoredFile): Promise<boolean> {
    const stored = await this.redis.set(keys(file.id).record, JSON.stringify(file), "PXAT", file.expiresAt, "NX");
    if (stored === null) return false;
    await this.redis.zadd(byTenant(file.tenant), file.createdAt, file.id);
    return true;
  }

  /** Whether a record (or a deleted file's mark) is kept under `id`. */
  async known(id: string): Promise<boolean> {
    return (await this.redis.exists(keys(id).record)) === 1;
  }

  /** The file, or null when it does not exist, expired or was deleted. */
  async get(id: string): Promise<StoredFile | null> {
    const json = await this.redis.get(keys(id).record);
    if (json === null || json === DELETED) return null;
    const parsed = storedFileSchema.safeParse(JSON.parse(json));
    if (!parsed.success) {
      this.log.error({ fileId: id }, "an unreadable file record");
      return null;
    }
    return parsed.data;
  }

  /** `count` bytes of the file's content from `from` (fewer at its end). */
  async content(id: string, from: number, count: number): Promise<Buffer> {
    return this.redis.getrangeBuffer(keys(id).content, from, from + count - 1);
  }

  /** Deletes the file; a derived one leaves a mark until it would have expired. */
  async remove(file: StoredFile): Promise<void> {
    const k = keys(file.id);
    const multi = this.redis.multi().zrem(byTenant(file.tenant), file.id).del(k.content);
    if (file.derivedFrom) multi.set(k.record, DELETED, "PXAT", file.expiresAt);
    else multi.del(k.record);
    await multi.exec();
  }

  /** A page of a tenant's files after the file `after` (null: no such file to page after). */
  async list(tenant: string, options: FileListOptions): Promise<FilePage | null> {
    const index = byTenant(tenant);
    const desc = options.order === "desc";
    let cursor = options.after ?? null;
    const files: StoredFile[] = [];
    for (let scanned = 0; scanned < LIST_SCAN_LIMIT;) {
      const rank =
        cursor === null ? -1 : desc ? await this.redis.zrevrank(index, cursor) : await this.redis.zrank(index, cursor);
      if (rank === null) return cursor === options.after ? null : { files, hasMore: true };
      const ids = desc
        ? await this.redis.zrevrange(index, rank + 1, rank + 100)
        : await this.redis.zrange(index, rank + 1, String(rank + 100));
      if (ids.length === 0) return { files, hasMore: false };
      for (const id of ids) {
        scanned++;
        const file = await this.get(id);
        if (!file) {
          await this.redis.zrem(index, id);
          continue;
        }
        cursor = id;
        if (options.purpose && file.purpose !== options.purpose) continue;
        // One more match than asked for: there is a next page.
        if (files.length === options.limit) return { files, hasMore: true };
        files.push(file);
      }
    }
    return { files, hasMore: true };
  }
}

/** Files looked at for one page at most (a rare purpose may need several pages). */
const LIST_SCAN_LIMIT = 20_000;
