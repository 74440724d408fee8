import type { Redis } from "ioredis";
import type { Logger } from "#logging";
import type { InvalidLine } from "./batch-lines.js";
import { failedBatchSchema, type FailedBatch } from "./batch-view.js";

const keys = (id: string) => ({
  invalid: `specfleet:batch:{${id}}:invalid`,
  failed: `specfleet:batch:{${id}}:failed`,
});
const byTenant = (tenant: string) => `specfleet:batches:tenant:${tenant}`;

export interface BatchPage<T> {
  batches: T[];
  hasMore: boolean;
}

/**
 * What a batch keeps beside its job in Redis: each tenant's batches by creation time (the job
 * store's index holds native jobs too), the input lines that did not run, and the record of a
 * batch that failed before it became a job.
 */
export class BatchStore {
  constructor(
    private readonly redis: Redis,
    private readonly log: Logger,
  ) {}

  /** Records a batch made of a job, with its invalid lines (kept `ttlMs`, until its job's retention is known). */
  async saveJobBatch(tenant: string, id: string, createdAt: number, invalid: InvalidLine[], ttlMs: number) {
    const multi = this.redis.multi().zadd(byTenant(tenant), createdAt, id);
    const k = keys(id).invalid;
    for (let i = 0; i < invalid.length; i += 1000)
      multi.rpush(k, ...invalid.slice(i, i + 1000).map((line) => JSON.stringify(line)));
    if (invalid.length > 0) multi.pexpire(k, ttlMs);
    await multi.exec();
  }

  async saveFailed(batch: FailedBatch, ttlMs: number): Promise<void> {
    await this.redis
      .multi()
      .set(keys(batch.id).failed, JSON.stringify(batch), "PX", ttlMs)
      .zadd(byTenant(batch.tenant), batch.createdAt, batch.id)
      .exec();
  }

  async failed(id: string): Promise<FailedBatch | null> {
    const json = await this.redis.get(keys(id).failed);
    if (json === null) return null;
    const parsed = failedBatchSchema.safeParse(JSON.parse(json));
    if (!parsed.success) this.log.error({ batchId: id }, "an unreadable failed batch");
    return parsed.success ? parsed.data : null;
  }

  /** Invalid lines `from`..`from + count - 1`, by line number. */
  async invalid(id: string, from: number, count: number): Promise<InvalidLine[]> {
    const stored = await this.redis.lrange(keys(id).invalid, from, from + count - 1);
    return stored.map((json) => JSON.parse(json) as InvalidLine);
  }

  /** The invalid lines are deleted with the batch's job. */
  async expireAt(id: string, at: number): Promise<void> {
    await this.redis.pexpireat(keys(id).invalid, at);
  }

  /**
   * A page of a tenant's batches, newest first, after the batch `after`; `resolve` reads each
   * (null: it expired, and leaves the index).
   */
  async list<T>(
    tenant: string,
    options: { limit: number; after?: string },
    resolve: (id: string) => Promise<T | null>,
  ): Promise<BatchPage<T> | null> {
    const index = byTenant(tenant);
    let cursor = options.after ?? null;
    const batches: T[] = [];
    for (;;) {
      const rank = cursor === null ? -1 : await this.redis.zrevrank(index, cursor);
      if (rank === null) return cursor === options.after ? null : { batches, hasMore: true };
      const ids = await this.redis.zrevrange(index, rank + 1, rank + options.limit + 1);
      if (ids.length === 0) return { batches, hasMore: false };
      for (const id of ids) {
        const batch = await resolve(id);
        if (batch === null) {
          await this.redis.zrem(index, id);
          continue;
        }
        if (batches.length === options.limit) return { batches, hasMore: true };
        batches.push(batch);
        cursor = id;
      }
    }
  }
}
