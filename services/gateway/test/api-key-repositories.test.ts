import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Redis } from "ioredis";
import { startRedis, type ServerHandle } from "#infra";
import { createLogger } from "#logging";
import { closeRedis, connectRedis } from "#redis";
import { ApiKeyRepository } from "../src/keys/key-repository.js";
import { hashKeySecret } from "../src/keys/key-secret.js";
import { LEASE_MS, RateLimiter } from "../src/keys/rate-limiter.js";
import { UsageLedger, utcDay } from "../src/keys/usage-ledger.js";

const log = createLogger("api-key-repositories-test", "silent");
const range = { min: 0, max: 1000 };

/** The API key repositories against a real redis-server. */
describe("API key repositories (real redis-server)", () => {
  let server: ServerHandle;
  let redis: Redis;

  before(async () => {
    server = await startRedis();
    redis = connectRedis(server.url, "test", log);
  });

  after(async () => {
    await closeRedis(redis);
    await server?.stop();
  });

  it("a key is stored by the hash of its secret, never the secret, and found by it", async () => {
    const keys = new ApiKeyRepository(redis);
    assert.equal(await keys.anyActive(), false);
    const { key, secret } = await keys.create({
      name: "ci",
      limits: { requestsPerMinute: 5 },
      jobPriority: 3,
      priorityRange: { min: -10, max: 10 },
    });
    assert.equal(await keys.anyActive(), true);
    assert.deepEqual(await keys.findByHash(hashKeySecret(secret)), key);
    assert.equal(await keys.findByHash(hashKeySecret(`${secret}x`)), null);
    const everything = JSON.stringify(await dump(redis));
    assert.ok(!everything.includes(secret), "the secret is nowhere in Redis");
    assert.ok(everything.includes(key.hash));
    assert.deepEqual(await keys.get(key.id), key);
    assert.equal(await keys.webhookSecretOf(key.id), key.webhookSecret);
  });

  it("revoking keeps the key (and its first revocation time); the last active key revoked opens /v1", async () => {
    await redis.flushdb();
    const keys = new ApiKeyRepository(redis);
    const a = await keys.create({ name: "a", limits: {}, jobPriority: 0, priorityRange: range }, 1000);
    const b = await keys.create({ name: "b", limits: {}, jobPriority: 0, priorityRange: range }, 2000);
    assert.deepEqual(
      (await keys.list()).map((k) => k.name),
      ["a", "b"],
    );
    assert.equal((await keys.revoke(a.key.id, 5000))?.revokedAt, 5000);
    assert.equal((await keys.revoke(a.key.id, 6000))?.revokedAt, 5000);
    assert.equal(await keys.anyActive(), true);
    assert.equal((await keys.findByHash(hashKeySecret(a.secret)))?.revokedAt, 5000);
    await keys.revoke(b.key.id);
    assert.equal(await keys.anyActive(), false);
    assert.equal(await keys.revoke("key_nope"), null);
    assert.equal((await keys.list()).length, 2);
  });

  it("a webhook secret is rotated for a live key, not for a revoked one", async () => {
    await redis.flushdb();
    const keys = new ApiKeyRepository(redis);
    const { key } = await keys.create({ name: "w", limits: {}, jobPriority: 0, priorityRange: range });
    const rotated = await keys.rotateWebhookSecret(key.id);
    assert.ok(rotated && rotated.webhookSecret !== key.webhookSecret);
    assert.equal(await keys.webhookSecretOf(key.id), rotated.webhookSecret);
    await keys.revoke(key.id);
    assert.equal(await keys.rotateWebhookSecret(key.id), null);
  });

  it("an unreadable stored key is not a key", async () => {
    const keys = new ApiKeyRepository(redis);
    await redis.hset("specfleet:apikeys:key:key_bad", { id: "key_bad", name: "x", limits: "{not json" });
    assert.equal(await keys.get("key_bad"), null);
  });

  it("requests per minute: the limit is taken at once, then refused with the levels", async () => {
    const limiter = new RateLimiter(redis);
    const keyId = `k-${randomUUID()}`;
    for (let i = 0; i < 3; i++) {
      const result = await limiter.admit(keyId, { requestsPerMinute: 3 }, 10, randomUUID());
      assert.equal(result.verdict, "ok");
      assert.ok(Math.abs(result.requests!.used - (i + 1)) < 0.01, String(result.requests!.used));
      assert.equal(result.tokens, null);
    }
    const refused = await limiter.admit(keyId, { requestsPerMinute: 3 }, 10, randomUUID());
    assert.equal(refused.verdict, "requests");
    assert.ok(refused.requests!.used > 2.9 && refused.requests!.used <= 3);
  });

  it("tokens per minute: a reservation, refused when over, settled to the actual tokens", async () => {
    const limiter = new RateLimiter(redis);
    const keyId = `k-${randomUUID()}`;
    const limits = { tokensPerMinute: 100 };
    assert.equal((await limiter.admit(keyId, limits, 80, "l1")).verdict, "ok");
    assert.equal((await limiter.admit(keyId, limits, 30, "l2")).verdict, "tokens");
    assert.equal((await limiter.admit(keyId, limits, 101, "l3")).verdict, "too_large");
    // The first request used 20 of its 80: 60 go back, and 30 now fit.
    await limiter.settle(keyId, 100, 80, 20);
    const after = await limiter.admit(keyId, limits, 30, "l4");
    assert.equal(after.verdict, "ok");
    assert.ok(after.tokens!.used > 49 && after.tokens!.used <= 50, String(after.tokens!.used));
  });

  it("the buckets drain with time (Redis' clock)", async () => {
    const limiter = new RateLimiter(redis);
    const keyId = `k-${randomUUID()}`;
    // 60 a minute is one a second: a full bucket takes one more a second later.
    const limits = { requestsPerMinute: 60 };
    let admitted = 0;
    while ((await limiter.admit(keyId, limits, 0, "x")).verdict === "ok") admitted++;
    assert.ok(admitted >= 60 && admitted <= 62, String(admitted));
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal((await limiter.admit(keyId, limits, 0, "x")).verdict, "ok");
  });

  it("concurrent requests: leases, released or expired, never leaked", async () => {
    const limiter = new RateLimiter(redis);
    const keyId = `k-${randomUUID()}`;
    const limits = { concurrentRequests: 2 };
    assert.equal((await limiter.admit(keyId, limits, 0, "a")).verdict, "ok");
    assert.equal((await limiter.admit(keyId, limits, 0, "b")).verdict, "ok");
    const refused = await limiter.admit(keyId, limits, 0, "c");
    assert.equal(refused.verdict, "concurrent");
    assert.equal(refused.concurrent, 2);
    await limiter.release(keyId, "a");
    assert.equal((await limiter.admit(keyId, limits, 0, "c")).verdict, "ok");
    // A gateway that died holding "b" and "c": their leases' expiry is in the past by then.
    const leases = `specfleet:ratelimit:${keyId}:leases`;
    const past = Date.now() - 1;
    await redis.zadd(leases, past, "b", past, "c");
    await limiter.renew(keyId, "gone"); // renewing a lease no longer held does not revive it
    assert.equal(await redis.zscore(leases, "gone"), null);
    assert.equal((await limiter.admit(keyId, limits, 0, "d")).verdict, "ok");
    assert.equal((await limiter.admit(keyId, limits, 0, "e")).verdict, "ok");
    await limiter.renew(keyId, "d");
    assert.ok(Number(await redis.zscore(leases, "d")) > Date.now() + LEASE_MS / 2);
  });

  it("usage adds up per key, in total and per UTC day", async () => {
    const ledger = new UsageLedger(redis);
    const day1 = Date.UTC(2030, 0, 1, 23, 59);
    const day2 = Date.UTC(2030, 0, 2, 0, 1);
    await ledger.record("key_u", { promptTokens: 5, completionTokens: 7, requests: 1 }, day1);
    await ledger.record("key_u", { promptTokens: 3, completionTokens: 2, requests: 1 }, day2);
    await ledger.record("key_u", { promptTokens: 1, completionTokens: 1, requests: 1 }, day2);
    await ledger.record(null, { promptTokens: 9, completionTokens: 9, requests: 1 }, day2);
    const usage = await ledger.usage("key_u", 31, day2);
    assert.deepEqual(usage.total, { promptTokens: 9, completionTokens: 10, requests: 3 });
    assert.deepEqual(usage.daily, [
      { date: "2030-01-02", promptTokens: 4, completionTokens: 3, requests: 2 },
      { date: "2030-01-01", promptTokens: 5, completionTokens: 7, requests: 1 },
    ]);
    assert.deepEqual(
      (await ledger.usage("key_u", 1, day2)).daily.map((d) => d.date),
      ["2030-01-02"],
    );
    assert.deepEqual((await ledger.usage(null, 31, day2)).total, { promptTokens: 9, completionTokens: 9, requests: 1 });
    assert.deepEqual((await ledger.usage("key_none")).total, { promptTokens: 0, completionTokens: 0, requests: 0 });
    assert.equal(utcDay(day1), "2030-01-01");
  });
});

async function dump(redis: Redis): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const key of await redis.keys("*")) {
    const type = await redis.type(key);
    out[key] =
      type === "hash"
        ? await redis.hgetall(key)
        : type === "string"
          ? await redis.get(key)
          : type === "set"
            ? await redis.smembers(key)
            : await redis.zrange(key, "0", "-1");
  }
  return out;
}
