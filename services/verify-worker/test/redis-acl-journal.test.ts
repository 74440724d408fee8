import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { GREEDY_SAMPLING } from "#contracts";
import { parseConfig, verifyWorkerConfigSchema } from "#config";
import { RedisJournal } from "#journal";
import { createLogger } from "#logging";
import { startAclRedis, type AclRedis } from "../../../test/support/redis-acl.js";
import { JournalConnection } from "../src/journal.provider.js";

const log = createLogger("redis-acl-journal-test", "silent");

/**
 * A verifier's journal, connected as the verifier connects (REDIS_USERNAME, REDIS_PASSWORD_FILE,
 * fail-fast) under the fleet's ACL: it journals its sessions and can reach nothing else.
 */
void describe("the verifiers' Redis user (redis-server with the fleet's aclfile)", () => {
  let acl: AclRedis;
  let connection: JournalConnection;

  before(async () => {
    acl = await startAclRedis();
    const env = { ...acl.env("verifier"), WORKER_ID: "verifier-1", MODEL_PATH: "/models/m.gguf" };
    connection = new JournalConnection(parseConfig(verifyWorkerConfigSchema, env), log);
  });
  after(async () => {
    await connection?.onModuleDestroy();
    await acl?.stop();
  });

  void it("begins, claims, appends (the owner-checking script), reads and finishes a session", async () => {
    const journal = new RedisJournal(connection.redis);
    const header = {
      sessionId: "s1",
      model: "m",
      promptTokens: [1, 2],
      maxTokens: 8,
      sampling: GREEDY_SAMPLING,
      openedAt: 1,
    };
    await journal.begin(header, "verifier-1");
    assert.equal(await journal.append("s1", { index: 0, tokens: [5], text: "a" }, "verifier-1", 0), true);
    assert.equal(await journal.append("s1", { index: 1, tokens: [6], text: "b" }, "verifier-2", 1), false);
    await journal.claim("s1", "verifier-2");
    assert.equal(await journal.append("s1", { index: 1, tokens: [6], text: "b" }, "verifier-2", 1), true);
    const record = await journal.read("s1");
    assert.deepEqual(
      record?.entries.map((e) => e.tokens),
      [[5], [6]],
    );
    await journal.finish("s1");
  });

  void it("cannot read API keys, jobs, files, the scheduler's or the registry's state, nor administer Redis", async () => {
    const redis = connection.redis;
    const refused = [
      () => redis.hgetall("specfleet:apikeys:key:k1"),
      () => redis.get("specfleet:apikeys:hash:abc"),
      () => redis.hgetall("specfleet:job:{job_1}"),
      () => redis.zrange("bull:specfleet-jobs:prioritized", "0", "-1"),
      () => redis.get("specfleet:file:{f1}:content"),
      () => redis.hgetall("specfleet:scheduler:sessions"),
      () => redis.hgetall("specfleet:registry:workers"),
      // Its own keys, but a command the journal never sends.
      () => redis.del("specfleet:journal:s1:entries"),
      () => redis.keys("specfleet:journal:*"),
      () => redis.scan(0),
      () => redis.flushall(),
      () => redis.config("SET", "appendonly", "no"),
      // A script is checked command by command: it cannot reach beyond the journal either.
      () => redis.eval("return redis.call('GET', KEYS[1])", 1, "specfleet:apikeys:all"),
    ];
    for (const command of refused) await assert.rejects(command(), /NOPERM|no permissions/);
  });
});
