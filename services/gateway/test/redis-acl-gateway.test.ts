import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { JobRunQueue, WebhookQueue } from "#contracts";
import { createLogger } from "#logging";
import { closeRedis, connectRedis } from "#redis";
import { startAclRedis, type AclRedis } from "../../../test/support/redis-acl.js";
import { BatchStore } from "../src/batches/batch-store.js";
import type { StoredFile } from "../src/files/file.js";
import { FileStore } from "../src/files/file-store.js";
import { FleetShare } from "../src/jobs/fleet-share.js";
import { IdempotencyKeys } from "../src/jobs/idempotency.js";
import { JobStore } from "../src/jobs/job-store.js";
import { ApiKeyRepository, UsageLedger } from "../src/keys/index.js";
import { RateLimiter } from "../src/keys/rate-limiter.js";
import { hashKeySecret } from "../src/keys/key-secret.js";

const log = createLogger("redis-acl-gateway-test", "silent");
const HOUR = 3_600_000;

/** The gateway's repositories and BullMQ queues, logged in as the `gateway` Redis user of the fleet's ACL. */
void describe("the gateway's Redis user (redis-server with the fleet's aclfile)", () => {
  let acl: AclRedis;
  let redis: Redis;

  before(async () => {
    acl = await startAclRedis();
    redis = connectRedis(acl.endpoint("gateway"), "gateway", log);
  });
  after(async () => {
    await closeRedis(redis);
    await acl?.stop();
  });

  void it("keeps API keys, rate limits and usage", async () => {
    const keys = new ApiKeyRepository(redis);
    const range = { min: 0, max: 10 };
    const { key, secret } = await keys.create({ name: "k", limits: {}, jobPriority: 0, priorityRange: range });
    assert.deepEqual(await keys.findByHash(hashKeySecret(secret)), key);
    assert.equal((await keys.list()).length, 1);
    assert.equal(await keys.anyActive(), true);
    const limiter = new RateLimiter(redis);
    assert.equal((await limiter.admit(key.id, { requestsPerMinute: 3 }, 10, randomUUID())).verdict, "ok");
    const ledger = new UsageLedger(redis);
    await ledger.record(key.id, { promptTokens: 2, completionTokens: 3, requests: 1 });
    assert.equal((await ledger.usage(key.id)).total.requests, 1);
  });

  void it("keeps jobs, their share of the fleet and idempotency keys", async () => {
    const store = new JobStore(redis, log);
    const record = {
      id: "job_acl",
      tenant: "t1",
      source: "jobs" as const,
      model: "m",
      total: 1,
      priority: 0,
      metadata: null,
      webhookUrl: null,
      createdAt: Date.now(),
      batch: null,
    };
    await store.create(record, [{ customId: null, endpoint: "/v1/completions", body: { prompt: "p" } }]);
    assert.equal(await store.transition("job_acl", ["queued"], "running", 1), true);
    const result = {
      index: 0,
      customId: null,
      status: "succeeded" as const,
      response: { text: "r" },
      error: null,
      usage: { promptTokens: 1, completionTokens: 1 },
      finishedAt: Date.now(),
    };
    assert.deepEqual(await store.recordResult("job_acl", result), { recorded: true, done: 1 });
    assert.equal((await store.list("t1", { limit: 5 }))?.jobs.length, 1);
    assert.ok((await store.events("job_acl", "0")).length > 0);
    const share = new FleetShare(redis, () => 2, { leaseTtlMs: 1000, pollMs: 20 });
    const lease = await share.acquire("t1", "h1", AbortSignal.timeout(5000));
    await lease.release();
    const idempotency = new IdempotencyKeys(redis, HOUR);
    assert.deepEqual(await idempotency.claim("t1", "key-1", { a: 1 }), { kind: "new" });
    await idempotency.settle("t1", "key-1", { a: 1 }, "job_acl");
    assert.deepEqual(await idempotency.claim("t1", "key-1", { a: 1 }), { kind: "replay", jobId: "job_acl" });
  });

  void it("keeps files and batches", async () => {
    const files = new FileStore(redis, log);
    const file: StoredFile = {
      id: "file-acl",
      tenant: "t1",
      filename: "f.jsonl",
      purpose: "batch",
      bytes: 5,
      createdAt: 1,
      expiresAt: Date.now() + HOUR,
      derivedFrom: null,
    };
    await files.save(file, Buffer.from("01234"));
    assert.equal((await files.content("file-acl", 0, 5)).toString(), "01234");
    const batches = new BatchStore(redis, log);
    await batches.saveJobBatch("t1", "batch_acl", 1, [], HOUR);
    assert.deepEqual(await batches.list("t1", { limit: 2 }, async (id) => id), {
      batches: ["batch_acl"],
      hasMore: false,
    });
  });

  void it("runs BullMQ queues of job runs and webhooks: add, a worker takes it, completes it", async () => {
    for (const queueName of [JobRunQueue.queue, WebhookQueue.queue]) {
      const queue = new Queue(queueName, { connection: redis });
      const taken = new Promise<string>((resolve) => {
        const worker = new Worker(queueName, async (job) => resolve(String(job.id)), {
          connection: redis,
          lockDuration: 20_000,
        });
        worker.on("error", (err) => log.warn({ err: err.message }, "worker error"));
        after(() => worker.close());
      });
      await queue.add("x", { n: 1 }, { jobId: `acl-${queueName}`, priority: 5, removeOnComplete: true });
      assert.equal(await taken, `acl-${queueName}`);
      await queue.close();
    }
  });

  void it("is refused the journal, the scheduler's, the registry's and the admission queue's keys, and every admin command", async () => {
    const refused = [
      () => redis.get("specfleet:journal:s1:header"),
      () => redis.hgetall("specfleet:scheduler:sessions"),
      () => redis.hgetall("specfleet:registry:workers"),
      () => redis.hgetall("specfleet:registry:credentials"),
      () => redis.zrange("bull:specfleet-admission:prioritized", "0", "-1"),
      () => redis.flushall(),
      () => redis.flushdb(),
      () => redis.config("SET", "appendonly", "no"),
      () => redis.keys("*"),
      () => redis.scan(0),
      () => redis.call("ACL", "LIST"),
      () => redis.call("SHUTDOWN", "NOSAVE"),
      () => redis.call("FUNCTION", "FLUSH"),
      () => redis.call("MONITOR"),
    ];
    for (const command of refused) await assert.rejects(command(), /NOPERM/);
  });
});
