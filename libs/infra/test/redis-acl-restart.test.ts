import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Redis } from "ioredis";
import { FleetSecrets, startRedis } from "#infra";

/**
 * `npm start` again on the kept `.cache/redis` and `.cache/fleet-secrets`: the data written by a
 * role's user comes back, transactions (MULTI/EXEC: the job store, BullMQ) included. Redis replays
 * the append-only file as the `default` user, so the fleet's ACL must let that user replay what
 * it reads (while nobody can log in as it).
 */
void describe("a secured fleet's Redis started again on its kept folder", () => {
  const root = mkdtempSync(join(tmpdir(), "specfleet-redis-restart-"));
  after(() => rmSync(root, { recursive: true, force: true }));

  // redis-server ≤ 7.2 replays the AOF as `default`, and EXEC re-checks the ACL
  // (redis/redis#14541, fixed by #14545): a `default` user at `-@all` silently dropped every
  // transaction at load. redisAclFile keeps that user off but with whole rights.
  void it("finds every key its users wrote, in transactions too, and still refuses anyone else", async () => {
    const secrets = await FleetSecrets.prepare(join(root, "secrets"));
    const dir = join(root, "redis");
    mkdirSync(dir);
    const password = readFileSync(join(secrets.dir, "redis", "gateway.password"), "utf8").trim();
    const start = () => startRedis({ appendOnly: true, dir, acl: secrets.redisAcl() });

    const first = await start();
    const gateway = new Redis(first.url, { username: "gateway", password, maxRetriesPerRequest: 1 });
    await gateway.set("specfleet:job:plain", "1");
    await gateway.multi().set("specfleet:job:in-a-transaction", "2").set("specfleet:jobs:index", "3").exec();
    gateway.disconnect();
    await first.stop();

    const again = await start();
    const back = new Redis(again.url, { username: "gateway", password, maxRetriesPerRequest: 1 });
    const anonymous = new Redis(again.url, { maxRetriesPerRequest: 0, enableReadyCheck: false });
    anonymous.on("error", () => undefined);
    try {
      await assert.rejects(anonymous.get("specfleet:job:plain"), /NOAUTH/);
      const keys = ["specfleet:job:plain", "specfleet:job:in-a-transaction", "specfleet:jobs:index"];
      assert.deepEqual(await back.mget(...keys), ["1", "2", "3"]);
    } finally {
      back.disconnect();
      anonymous.disconnect();
      await again.stop();
    }
  });
});
