import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "#logging";
import {
  FINISHED,
  jobRecordSchema,
  requestResultSchema,
  type JobEvent,
  type JobRecord,
  type JobRequest,
  type JobState,
  type JobStatus,
  type RequestResult,
  type Tenant,
} from "./job.js";
import { RECORD_RESULT, TRANSITION } from "./job-store.lua.js";

const keys = (id: string) => ({
  job: `specfleet:job:{${id}}`,
  requests: `specfleet:job:{${id}}:requests`,
  results: `specfleet:job:{${id}}:results`,
  sessions: `specfleet:job:{${id}}:sessions`,
  events: `specfleet:job:{${id}}:events`,
  failures: `specfleet:job:{${id}}:failures`,
});
const byTenant = (tenant: Tenant) => `specfleet:jobs:tenant:${tenant}`;
/** Events kept per job for followers that reconnect (`Last-Event-ID`); beyond, they read the job's state. */
const EVENTS_KEPT = 10_000;

type Commands = Redis & {
  specfleetJobRecord(...args: Array<string | number>): Promise<[number, number]>;
  specfleetJobTransition(...args: Array<string | number>): Promise<number>;
};

/** A page of a tenant's jobs, newest first. */
export interface JobPage {
  jobs: JobState[];
  hasMore: boolean;
}

/**
 * Jobs in Redis: the job (a hash: what it is, its status, counts and times), its requests (a
 * list), its results (a hash by request index, each written once), its events (a stream) and each
 * tenant's jobs by creation time. Results and their counts are recorded together in one script,
 * so the counts always add up and a request run twice is recorded once.
 */
export class JobStore {
  private readonly redis: Commands;

  constructor(
    redis: Redis,
    private readonly log: Logger,
  ) {
    redis.defineCommand("specfleetJobRecord", { numberOfKeys: 4, lua: RECORD_RESULT });
    redis.defineCommand("specfleetJobTransition", { numberOfKeys: 2, lua: TRANSITION });
    this.redis = redis as Commands;
  }

  async create(record: JobRecord, requests: readonly JobRequest[]): Promise<void> {
    const k = keys(record.id);
    const multi = this.redis.multi();
    for (let i = 0; i < requests.length; i += 1000)
      multi.rpush(k.requests, ...requests.slice(i, i + 1000).map((r) => JSON.stringify(r)));
    multi.hset(k.job, {
      record: JSON.stringify(record),
      status: "queued",
      done: 0,
      succeeded: 0,
      failed: 0,
      promptTokens: 0,
      completionTokens: 0,
    });
    multi.zadd(byTenant(record.tenant), record.createdAt, record.id);
    await multi.exec();
  }

  /** The job, or null when it does not exist (or expired). */
  async get(id: string): Promise<JobState | null> {
    const fields = await this.redis.hgetall(keys(id).job);
    if (!fields["record"]) return null;
    const record = jobRecordSchema.safeParse(JSON.parse(fields["record"]));
    if (!record.success) {
      this.log.error({ jobId: id }, "an unreadable job record");
      return null;
    }
    const num = (name: string) => Number(fields[name] ?? 0);
    const time = (name: string) => (fields[name] ? Number(fields[name]) : null);
    return {
      record: record.data,
      status: fields["status"] as JobStatus,
      counts: {
        done: num("done"),
        succeeded: num("succeeded"),
        failed: num("failed"),
        promptTokens: num("promptTokens"),
        completionTokens: num("completionTokens"),
      },
      startedAt: time("startedAt"),
      finishedAt: time("finishedAt"),
      cancelRequestedAt: time("cancelRequestedAt"),
      expiresAt: time("expiresAt"),
    };
  }

  /** The job's requests `from`..`from + count - 1` (in order). */
  async requests(id: string, from: number, count: number): Promise<JobRequest[]> {
    const stored = await this.redis.lrange(keys(id).requests, from, from + count - 1);
    return stored.map((json) => JSON.parse(json) as JobRequest);
  }

  /** Indices of the requests that have a result. */
  async finishedIndices(id: string): Promise<Set<number>> {
    return new Set((await this.redis.hkeys(keys(id).results)).map(Number));
  }

  /**
   * A new attempt of a request: its fleet session's id (random, so it never meets an earlier
   * attempt's, whatever Redis remembers) and the previous attempt's, which the caller stops.
   */
  async newAttempt(id: string, index: number): Promise<{ sessionId: string; previous: string | null }> {
    const k = keys(id).sessions;
    const sessionId = `${id}-${index}-${randomBytes(4).toString("hex")}`;
    const [[, previous]] = (await this.redis
      .multi()
      .hget(k, String(index))
      .hset(k, String(index), sessionId)
      .exec()) as [[unknown, string | null]];
    return { sessionId, previous };
  }

  /**
   * Records a request's result unless one is recorded already; counts and the job's events move
   * with it. `recorded` false: another run of the request was first (its result stands).
   */
  async recordResult(id: string, result: RequestResult): Promise<{ recorded: boolean; done: number }> {
    const k = keys(id);
    const event: JobEvent = {
      type: "request",
      index: result.index,
      customId: result.customId,
      status: result.status,
      at: result.finishedAt,
    };
    const [recorded, done] = await this.redis.specfleetJobRecord(
      k.job,
      k.results,
      k.events,
      k.failures,
      result.index,
      JSON.stringify(result),
      result.status === "succeeded" ? 1 : 0,
      result.usage.promptTokens,
      result.usage.completionTokens,
      JSON.stringify(event),
      EVENTS_KEPT,
    );
    return { recorded: recorded === 1, done };
  }

  /**
   * Moves the job to `to` if its status is one of `from`, stamping `at` into the matching time
   * field (startedAt, finishedAt) and telling followers. Returns whether it moved.
   */
  async transition(id: string, from: readonly JobStatus[], to: JobStatus, at: number): Promise<boolean> {
    const k = keys(id);
    const stamp = to === "running" ? "startedAt" : FINISHED.has(to) ? "finishedAt" : "";
    const event: JobEvent = { type: "status", status: to, at };
    const moved = await this.redis.specfleetJobTransition(
      k.job,
      k.events,
      from.join(","),
      to,
      stamp,
      at,
      JSON.stringify(event),
      EVENTS_KEPT,
    );
    return moved === 1;
  }

  /** Marks the job as asked to cancel (its runner, wherever it is, sees it); false if it does not exist. */
  async requestCancel(id: string, at: number): Promise<boolean> {
    const k = keys(id).job;
    if ((await this.redis.exists(k)) === 0) return false;
    await this.redis.hsetnx(k, "cancelRequestedAt", at);
    return true;
  }

  async cancelRequested(id: string): Promise<boolean> {
    return (await this.redis.hexists(keys(id).job, "cancelRequestedAt")) === 1;
  }

  /** A finished job and everything of it are deleted `retentionMs` from now. */
  async expireIn(id: string, retentionMs: number, now: number): Promise<void> {
    const k = keys(id);
    const multi = this.redis.multi().hset(k.job, "expiresAt", now + retentionMs);
    for (const key of Object.values(k)) multi.pexpire(key, retentionMs);
    await multi.exec();
  }

  /** Recorded results of requests `from`..`from + count - 1`, in order (missing ones skipped). */
  async results(id: string, from: number, count: number): Promise<RequestResult[]> {
    if (count <= 0) return [];
    const indices = Array.from({ length: count }, (_, i) => String(from + i));
    const stored = await this.redis.hmget(keys(id).results, ...indices);
    const results: RequestResult[] = [];
    for (const json of stored) {
      if (json === null) continue;
      const parsed = requestResultSchema.safeParse(JSON.parse(json));
      if (parsed.success) results.push(parsed.data);
    }
    return results;
  }

  /** The first `count` failed requests' results, in the order they failed. */
  async failures(id: string, count: number): Promise<RequestResult[]> {
    const indices = await this.redis.lrange(keys(id).failures, 0, count - 1);
    if (indices.length === 0) return [];
    const stored = await this.redis.hmget(keys(id).results, ...indices);
    return stored.flatMap((json) => {
      const parsed = json === null ? null : requestResultSchema.safeParse(JSON.parse(json));
      return parsed?.success ? [parsed.data] : [];
    });
  }

  /** Events after `afterId` (a stream id; "0" from the start), with their ids. */
  async events(id: string, afterId: string, count = 500): Promise<Array<{ id: string; event: JobEvent }>> {
    const entries = await this.redis.xrange(keys(id).events, `(${afterId}`, "+", "COUNT", count);
    return entries.map(([entryId, fields]) => ({ id: entryId, event: JSON.parse(fields[1] ?? "null") as JobEvent }));
  }

  /** The id of the job's latest event ("0" if none): followers start after it. */
  async lastEventId(id: string): Promise<string> {
    const [last] = await this.redis.xrevrange(keys(id).events, "+", "-", "COUNT", 1);
    return last?.[0] ?? "0";
  }

  /**
   * A tenant's jobs, newest first, after the job `after` (a cursor: the last id of the previous
   * page), optionally only those in `status`. Expired jobs are dropped from the index as met.
   */
  async list(tenant: Tenant, options: { limit: number; after?: string; status?: JobStatus }): Promise<JobPage | null> {
    const index = byTenant(tenant);
    let cursor = options.after ?? null;
    const jobs: JobState[] = [];
    for (let scanned = 0; scanned < LIST_SCAN_LIMIT;) {
      const rank = cursor === null ? -1 : await this.redis.zrevrank(index, cursor);
      if (rank === null) return cursor === options.after ? null : { jobs, hasMore: true };
      const ids = await this.redis.zrevrange(index, rank + 1, rank + 100);
      if (ids.length === 0) return { jobs, hasMore: false };
      for (const id of ids) {
        scanned++;
        const job = await this.get(id);
        if (!job) {
          await this.redis.zrem(index, id);
          continue;
        }
        cursor = id;
        if (options.status && job.status !== options.status) continue;
        // One more match than asked for: there is a next page.
        if (jobs.length === options.limit) return { jobs, hasMore: true };
        jobs.push(job);
      }
    }
    return { jobs, hasMore: true };
  }
}

/** Jobs looked at for one page of a filtered list at most (a rare status may need several pages). */
const LIST_SCAN_LIMIT = 2000;
