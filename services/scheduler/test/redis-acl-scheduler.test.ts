import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { parseConfig, schedulerConfigSchema } from "#config";
import { createLogger } from "#logging";
import { startAclRedis, type AclRedis } from "../../../test/support/redis-acl.js";
import { waitingFor } from "../src/admission/waiting.js";
import { LeaderLease } from "../src/leadership/leader-lease.js";
import { Leadership } from "../src/leadership/leadership.js";
import { SchedulerStore } from "../src/store.js";
import { job } from "./scheduler-harness.js";

const log = createLogger("redis-acl-scheduler-test", "silent");

/** The scheduler's store, configured as the scheduler is (REDIS_USERNAME, REDIS_PASSWORD_FILE), under the fleet's ACL. */
void describe("the scheduler's Redis user (redis-server with the fleet's aclfile)", () => {
  let acl: AclRedis;
  let store: SchedulerStore;
  let leaseRedis: Redis;
  let leadership: Leadership;

  before(async () => {
    acl = await startAclRedis();
    const config = parseConfig(schedulerConfigSchema, acl.env("scheduler"));
    // The lease's scripts run as the scheduler's user too, and fence the table's writes.
    leaseRedis = new Redis(acl.server.url, { username: "scheduler", password: acl.passwords.scheduler });
    leadership = new Leadership({
      lease: new LeaderLease(leaseRedis, "acl-test", 10_000),
      log,
      deposed: () => assert.fail("the only replica is never deposed"),
    });
    await leadership.campaign();
    store = new SchedulerStore(config, log, leadership);
  });
  after(async () => {
    await store?.onApplicationShutdown();
    await leadership?.release();
    leaseRedis?.disconnect();
    await acl?.stop();
  });

  void it("keeps the lease, the fenced session table and the admission queue (BullMQ)", async () => {
    const placed = {
      job: job(),
      verifierId: "v1",
      drafterId: null,
      placedAt: 1,
      wantsDrafter: false,
      startedAt: {},
      promptTokens: null,
      generatedTokens: 0,
    };
    await store.sessions.save(placed);
    assert.deepEqual(await store.sessions.load(), [placed]);
    await store.sessions.delete(placed.job.sessionId);
    const waiting = waitingFor(job({ priority: 2 }), false, 100);
    await store.admission.add(waiting);
    assert.deepEqual(
      (await store.admission.load()).map((w) => w.job.sessionId),
      [waiting.job.sessionId],
    );
    await store.admission.remove(waiting.job.sessionId);
    assert.deepEqual(await store.admission.load(), []);
  });

  void it("is refused the journal, API keys, jobs, the registry's keys and admin commands", async () => {
    const redis = new Redis(acl.server.url, {
      username: "scheduler",
      password: acl.passwords.scheduler,
      maxRetriesPerRequest: 1,
    });
    try {
      const refused = [
        () => redis.lrange("specfleet:journal:s1:entries", 0, -1),
        () => redis.set("specfleet:journal:s1:owner", "scheduler"),
        () => redis.zrange("specfleet:apikeys:all", "0", "-1"),
        () => redis.hgetall("specfleet:job:{job_1}"),
        () => redis.zrange("bull:specfleet-jobs:prioritized", "0", "-1"),
        () => redis.hset("specfleet:registry:workers", "d1", "{}"),
        () => redis.flushall(),
        () => redis.config("SET", "appendonly", "no"),
        () => redis.keys("*"),
      ];
      for (const command of refused) await assert.rejects(command(), /NOPERM/);
    } finally {
      redis.disconnect();
    }
  });
});
