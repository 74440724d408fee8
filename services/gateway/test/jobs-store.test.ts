import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import type { Redis } from "ioredis";
import { startRedis, type ServerHandle } from "#infra";
import { createLogger } from "#logging";
import { closeRedis, connectRedis } from "#redis";
import { FleetShare } from "../src/jobs/fleet-share.js";
import { fingerprintOf, IdempotencyKeys } from "../src/jobs/idempotency.js";
import type { JobRecord, RequestResult } from "../src/jobs/job.js";
import { JobStore } from "../src/jobs/job-store.js";

const log = createLogger("jobs-store-test", "silent");

function record(id: string, tenant = "t1", total = 3, createdAt = Date.now()): JobRecord {
  return {
    id,
    tenant,
    source: "jobs",
    model: "m",
    total,
    priority: 0,
    metadata: null,
    webhookUrl: null,
    createdAt,
    batch: null,
  };
}

function result(index: number, status: "succeeded" | "failed" = "succeeded", completionTokens = 5): RequestResult {
  return {
    index,
    customId: `c${index}`,
    status,
    response: status === "succeeded" ? { text: `r${index}` } : null,
    error: status === "failed" ? { status: 400, code: "bad", message: "no" } : null,
    usage: { promptTokens: 2, completionTokens },
    finishedAt: Date.now(),
  };
}

const requests = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    customId: null,
    endpoint: "/v1/completions" as const,
    body: { prompt: `p${i}` },
  }));

/** The jobs engine's Redis parts against a real redis-server. */
describe("jobs in Redis (real redis-server)", () => {
  let server: ServerHandle;
  let redis: Redis;

  before(async () => {
    server = await startRedis();
    redis = connectRedis(server.url, "test", log);
  });
  beforeEach(async () => {
    await redis.flushall();
  });
  after(async () => {
    await closeRedis(redis);
    await server?.stop();
  });

  it("records a request's result once, and the counts add up whatever reruns", async () => {
    const store = new JobStore(redis, log);
    await store.create(record("job_a", "t1", 3), requests(3));
    assert.deepEqual(await store.requests("job_a", 1, 5), requests(3).slice(1));
    assert.deepEqual(await store.recordResult("job_a", result(0)), { recorded: true, done: 1 });
    // A rerun of request 0 (its first run's gateway died) finishes too: the first result stands.
    assert.deepEqual(await store.recordResult("job_a", result(0, "succeeded", 99)), { recorded: false, done: 1 });
    assert.deepEqual(await store.recordResult("job_a", result(2, "failed")), { recorded: true, done: 2 });
    const job = (await store.get("job_a"))!;
    assert.deepEqual(job.counts, { done: 2, succeeded: 1, failed: 1, promptTokens: 4, completionTokens: 10 });
    assert.deepEqual([...(await store.finishedIndices("job_a"))].sort(), [0, 2]);
    assert.deepEqual(
      (await store.results("job_a", 0, 3)).map((r) => [r.index, r.usage.completionTokens]),
      [
        [0, 5],
        [2, 5],
      ],
    );
    assert.deepEqual(
      (await store.failures("job_a", 10)).map((r) => r.index),
      [2],
    );
    // A job that is gone records nothing.
    assert.deepEqual(await store.recordResult("job_gone", result(0)), { recorded: false, done: 0 });
  });

  it("moves a job's status only from the allowed ones, stamping times and telling followers", async () => {
    const store = new JobStore(redis, log);
    await store.create(record("job_b"), requests(3));
    assert.equal(await store.transition("job_b", ["queued"], "running", 1000), true);
    assert.equal(await store.transition("job_b", ["queued"], "running", 2000), false);
    assert.equal(await store.transition("job_b", ["queued", "running"], "succeeded", 3000), true);
    assert.equal(await store.transition("job_b", ["queued", "running"], "cancelled", 4000), false);
    const job = (await store.get("job_b"))!;
    assert.equal(job.status, "succeeded");
    assert.equal(job.startedAt, 1000);
    assert.equal(job.finishedAt, 3000);
    const events = await store.events("job_b", "0");
    assert.deepEqual(
      events.map((e) => e.event),
      [
        { type: "status", status: "running", at: 1000 },
        { type: "status", status: "succeeded", at: 3000 },
      ],
    );
    assert.equal((await store.events("job_b", events[0]!.id)).length, 1);
    assert.equal(await store.lastEventId("job_b"), events[1]!.id);
  });

  it("expires a finished job with everything of it", async () => {
    const store = new JobStore(redis, log);
    await store.create(record("job_c"), requests(3));
    await store.recordResult("job_c", result(1));
    await store.expireIn("job_c", 50, Date.now());
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(await store.get("job_c"), null);
    assert.deepEqual(await redis.keys("specfleet:job:{job_c}*"), []);
  });

  it("lists a tenant's jobs newest first, by cursor, filtered by status, without expired ones", async () => {
    const store = new JobStore(redis, log);
    for (let i = 0; i < 5; i++) await store.create(record(`job_${i}`, "t1", 1, 1000 + i), requests(1));
    await store.create(record("job_other", "t2", 1, 2000), requests(1));
    await store.transition("job_1", ["queued"], "running", 1);
    await store.transition("job_3", ["queued"], "running", 1);
    await redis.del("specfleet:job:{job_2}");
    const first = (await store.list("t1", { limit: 2 }))!;
    assert.deepEqual(
      first.jobs.map((j) => j.record.id),
      ["job_4", "job_3"],
    );
    assert.equal(first.hasMore, true);
    const second = (await store.list("t1", { limit: 2, after: "job_3" }))!;
    assert.deepEqual(
      second.jobs.map((j) => j.record.id),
      ["job_1", "job_0"],
    );
    assert.equal(second.hasMore, false);
    const running = (await store.list("t1", { limit: 10, status: "running" }))!;
    assert.deepEqual(
      running.jobs.map((j) => j.record.id),
      ["job_3", "job_1"],
    );
    assert.equal(await store.list("t1", { limit: 2, after: "job_unknown" }), null);
    assert.deepEqual(
      (await store.list("t2", { limit: 10 }))!.jobs.map((j) => j.record.id),
      ["job_other"],
    );
  });

  it("shares the fleet's slots fairly between tenants, and frees a dead holder's slot", async () => {
    const cap = 4;
    const share = new FleetShare(redis, () => cap, { leaseTtlMs: 300, pollMs: 20 });
    const signal = new AbortController().signal;
    const a = await Promise.all([0, 1, 2, 3].map((i) => share.acquire("A", `a${i}`, signal)));
    // B asks while A holds every slot: B waits; as A frees slots, B gets its share before A gets more.
    const bWaits = share.acquire("B", "b0", signal);
    const aWaits = share.acquire("A", "a4", AbortSignal.timeout(400)).then(
      () => "granted",
      () => "refused",
    );
    await a[0]!.release();
    const b0 = await bWaits;
    await a[1]!.release();
    const b1 = await share.acquire("B", "b1", signal);
    assert.equal(await aWaits, "refused", "A is at its share (2 of 4) while B asks");
    // B's holders stop renewing (their gateway died): their slots lapse, and A alone may take all again.
    await Promise.all([b0.release(), b1.release()]);
    const more = await Promise.all([share.acquire("A", "a5", signal), share.acquire("A", "a6", signal)]);
    await Promise.all([...a.slice(2), ...more].map((lease) => lease.release()));
  });

  it("gives a dead gateway's slots back after their lease lapses", async () => {
    const share = new FleetShare(redis, () => 1, { leaseTtlMs: 200, pollMs: 20 });
    // Held by a holder that never renews (a gateway SIGKILLed): written as the script writes it.
    await redis.zadd("specfleet:jobs:share:leases", Date.now() + 200, "A|dead");
    const lease = await share.acquire("A", "alive", AbortSignal.timeout(5000));
    await lease.release();
  });

  it("replays an Idempotency-Key with the same body and refuses it with another", async () => {
    const keys = new IdempotencyKeys(redis, 60_000);
    const body = { model: "m", requests: [{ prompt: "x" }] };
    assert.deepEqual(await keys.claim("t1", "key-1", body), { kind: "new" });
    await assert.rejects(keys.claim("t1", "key-1", body), { status: 409 });
    await keys.settle("t1", "key-1", body, "job_1");
    // Key order does not change the body's fingerprint.
    assert.deepEqual(await keys.claim("t1", "key-1", { requests: [{ prompt: "x" }], model: "m" }), {
      kind: "replay",
      jobId: "job_1",
    });
    await assert.rejects(keys.claim("t1", "key-1", { ...body, priority: 5 }), { status: 422 });
    // Keys are per tenant.
    assert.deepEqual(await keys.claim("t2", "key-1", body), { kind: "new" });
    await assert.rejects(keys.claim("t1", "", body), { status: 400 });
    await keys.forget("t2", "key-1");
    assert.deepEqual(await keys.claim("t2", "key-1", body), { kind: "new" });
    assert.notEqual(fingerprintOf({ a: 1 }), fingerprintOf({ a: 2 }));
  });
});
