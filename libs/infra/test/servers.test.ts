import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "nats";
import { Redis } from "ioredis";
import { acceptsConnections, startNats, startRedis } from "#infra";
import { isAlive } from "./alive.js";

void describe("startNats", () => {
  void it("starts nats-server with JetStream on a free port and leaves nothing after stop", async () => {
    const nats = await startNats();
    try {
      assert.match(nats.url, /^nats:\/\/127\.0\.0\.1:\d+$/);
      assert.ok(existsSync(nats.dir));
      const connection = await connect({ servers: nats.url });
      const account = await (await connection.jetstreamManager()).getAccountInfo();
      assert.ok(account.limits !== undefined, "JetStream answers");
      await connection.close();
    } finally {
      await nats.stop();
    }
    assert.equal(isAlive(nats.pid), false);
    assert.equal(await acceptsConnections("127.0.0.1", nats.port), false);
    assert.equal(existsSync(nats.dir), false, "temporary store removed");
  });

  void it("keeps a store folder it was given", async () => {
    const storeDir = mkdtempSync(join(tmpdir(), "infra-test-js-"));
    try {
      const nats = await startNats({ storeDir });
      assert.equal(nats.dir, storeDir);
      await nats.stop();
      assert.equal(existsSync(storeDir), true);
    } finally {
      rmSync(storeDir, { recursive: true, force: true });
    }
  });
});

void describe("startRedis", () => {
  void it("starts redis-server that answers PING and leaves nothing after stop", async () => {
    const redis = await startRedis();
    try {
      assert.match(redis.url, /^redis:\/\/127\.0\.0\.1:\d+$/);
      const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
      assert.equal(await client.ping(), "PONG");
      assert.deepEqual(await client.config("GET", "appendonly"), ["appendonly", "no"]);
      client.disconnect();
    } finally {
      await redis.stop();
    }
    assert.equal(isAlive(redis.pid), false);
    assert.equal(existsSync(redis.dir), false, "temporary folder removed");
  });

  void it("writes an append-only file when asked, in the folder it was given", async () => {
    const dir = mkdtempSync(join(tmpdir(), "infra-test-redis-"));
    try {
      const redis = await startRedis({ dir, appendOnly: true });
      const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
      await client.set("k", "v");
      client.disconnect();
      await redis.stop();
      assert.ok(
        readdirSync(dir).some((name) => name.startsWith("appendonly")),
        `files: ${readdirSync(dir).join(",")}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it("reports a killed server through exited, and stop still cleans up", async () => {
    const redis = await startRedis();
    redis.kill("SIGKILL");
    assert.equal((await redis.exited).signal, "SIGKILL");
    await redis.stop();
    assert.equal(isAlive(redis.pid), false);
    assert.equal(existsSync(redis.dir), false);
  });
});
