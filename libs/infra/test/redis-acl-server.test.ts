import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Redis } from "ioredis";
import { startRedis } from "#infra";

// A small aclfile by hand (libs/security renders the fleet's): one user, the default user off.
const ACL = "user probe on >probe-password ~* +@all\nuser default off\n";

void describe("startRedis with an aclfile", () => {
  void it("writes the aclfile (mode 0600) in its folder, is ready once the given user's PING answers, and refuses anyone else", async () => {
    const redis = await startRedis({ acl: { file: ACL, ready: { username: "probe", password: "probe-password" } } });
    try {
      const path = join(redis.dir, "users.acl");
      assert.equal(readFileSync(path, "utf8"), ACL);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      const anonymous = new Redis(redis.url, { maxRetriesPerRequest: 0, enableReadyCheck: false });
      anonymous.on("error", () => undefined);
      await assert.rejects(anonymous.get("k"), /NOAUTH/);
      anonymous.disconnect();
      const probe = new Redis(redis.url, { username: "probe", password: "probe-password", maxRetriesPerRequest: 1 });
      assert.equal(await probe.set("k", "v"), "OK");
      probe.disconnect();
    } finally {
      await redis.stop();
    }
  });

  void it("without a user to log in as, a server that answers -NOAUTH counts as up", async () => {
    const redis = await startRedis({ acl: { file: ACL } });
    try {
      const probe = new Redis(redis.url, { username: "probe", password: "probe-password", maxRetriesPerRequest: 1 });
      assert.equal(await probe.ping(), "PONG");
      probe.disconnect();
    } finally {
      await redis.stop();
    }
  });
});
