import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Redis } from "ioredis";
import { startRedis, type ServerHandle } from "#infra";
import { createLogger } from "#logging";
import { closeRedis, connectRedis } from "#redis";
import { BullAdmissionRepository } from "../src/admission/admission-repository.js";
import { waitingFor } from "../src/admission/waiting.js";
import { RedisSessionRepository } from "../src/sessions/session-repository.js";
import type { PlacedSession } from "../src/sessions/session-table.js";
import { job } from "./scheduler-harness.js";

const log = createLogger("repositories-test", "silent");

/** The scheduler's repositories against a real redis-server. */
describe("scheduler repositories (real redis-server)", () => {
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

  it("the session table round-trips a placement and forgets a deleted one", async () => {
    const repository = new RedisSessionRepository(redis, log);
    const placed: PlacedSession = {
      job: job(),
      verifierId: "v1",
      drafterId: null,
      placedAt: 123,
      wantsDrafter: true,
      startedAt: { v1: 9 },
      promptTokens: 7,
      generatedTokens: 40,
    };
    await repository.save(placed);
    assert.deepEqual(await repository.load(), [placed]);
    await repository.delete(placed.job.sessionId);
    assert.deepEqual(await repository.load(), []);
  });

  it("an unreadable stored session is dropped, the others kept", async () => {
    const repository = new RedisSessionRepository(redis, log);
    const good = job();
    await repository.save({
      job: good,
      verifierId: "v1",
      drafterId: "d1",
      placedAt: 1,
      wantsDrafter: true,
      startedAt: {},
      promptTokens: null,
      generatedTokens: 0,
    });
    await redis.hset("specfleet:scheduler:sessions", "garbage", "{not json");
    const loaded = await repository.load();
    assert.deepEqual(
      loaded.map((s) => s.job.sessionId),
      [good.sessionId],
    );
    assert.equal(await redis.hexists("specfleet:scheduler:sessions", "garbage"), 0);
    await repository.delete(good.sessionId);
  });

  it("the admission queue keeps one job per session, in BullMQ, until removed", async () => {
    const repository = new BullAdmissionRepository(redis, log);
    try {
      const a = waitingFor(job({ priority: 3 }), false, 100);
      const b = waitingFor(job(), true, 200);
      await repository.add(a);
      await repository.add(a);
      await repository.add(b);
      const loaded = await repository.load();
      assert.deepEqual(
        loaded.map((w) => [w.job.sessionId, w.resume, w.since]).sort(),
        [
          [a.job.sessionId, false, 100],
          [b.job.sessionId, true, 200],
        ].sort(),
      );
      await repository.remove(a.job.sessionId);
      await repository.remove(b.job.sessionId);
      assert.deepEqual(await repository.load(), []);
    } finally {
      await repository.close();
    }
  });
});
