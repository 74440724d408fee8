import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import type { FleetWorker } from "#contracts";
import { parseConfig, registryConfigSchema } from "#config";
import { createLogger } from "#logging";
import { startAclRedis, type AclRedis } from "../../../test/support/redis-acl.js";
import { RedisWorkerRepository } from "../src/worker-repository.js";

const log = createLogger("redis-acl-registry-test", "silent");

const worker: FleetWorker = {
  workerId: "d1",
  role: "drafter",
  model: { name: "m", vocabFingerprint: "vocab-12345678" },
  deviceClass: "cpu",
  threads: 1,
  maxSessions: 4,
  contextSize: 512,
  startedAt: 1,
  profile: {},
  state: "ready",
  draining: false,
  lastSeenAt: 5,
  telemetry: null,
};

/** The registry's repository, configured as the registry is (REDIS_USERNAME, REDIS_PASSWORD_FILE), under the fleet's ACL. */
void describe("the registry's Redis user (redis-server with the fleet's aclfile)", () => {
  let acl: AclRedis;

  before(async () => {
    acl = await startAclRedis();
  });
  after(async () => {
    await acl?.stop();
  });

  void it("mirrors the fleet's workers", async () => {
    const repository = new RedisWorkerRepository(parseConfig(registryConfigSchema, acl.env("registry")), log);
    try {
      await repository.save(worker);
      assert.deepEqual(await repository.load(), [worker]);
    } finally {
      await repository.onApplicationShutdown();
    }
  });

  void it("is refused the journal, API keys, jobs, the scheduler's keys and admin commands", async () => {
    const redis = new Redis(acl.server.url, {
      username: "registry",
      password: acl.passwords.registry,
      maxRetriesPerRequest: 1,
    });
    try {
      const refused = [
        () => redis.get("specfleet:journal:s1:header"),
        () => redis.hgetall("specfleet:apikeys:key:k1"),
        () => redis.hgetall("specfleet:job:{job_1}"),
        () => redis.hgetall("specfleet:scheduler:sessions"),
        () => redis.zrange("bull:specfleet-admission:prioritized", "0", "-1"),
        () => redis.flushdb(),
        () => redis.config("GET", "*"),
        () => redis.scan(0),
      ];
      for (const command of refused) await assert.rejects(command(), /NOPERM/);
    } finally {
      redis.disconnect();
    }
  });
});
