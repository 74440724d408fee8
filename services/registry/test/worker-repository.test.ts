import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FleetWorker } from "#contracts";
import { startRedis, type ServerHandle } from "#infra";
import { createLogger } from "#logging";
import { closeRedis, connectRedis } from "#redis";
import { RedisWorkerRepository } from "../src/worker-repository.js";

const worker = (workerId: string): FleetWorker => ({
  workerId,
  role: "drafter",
  model: { name: "m", vocabFingerprint: "vocab-12345678" },
  deviceClass: "cpu",
  threads: 1,
  maxSessions: 4,
  contextSize: 512,
  startedAt: 1,
  profile: {},
  state: "draining",
  draining: true,
  lastSeenAt: 5,
  telemetry: null,
});

describe("the registry's worker repository (real redis-server)", () => {
  let server: ServerHandle;
  const log = createLogger("worker-repository-test", "silent");

  before(async () => {
    server = await startRedis();
  });

  after(async () => {
    await server?.stop();
  });

  it("a restarted registry reads back every worker as it was saved, and skips an unreadable one", async () => {
    const first = new RedisWorkerRepository({ REDIS_URL: server.url }, log);
    await first.save(worker("d1"));
    await first.save({ ...worker("d1"), state: "lost" });
    await first.save(worker("d2"));
    await first.onApplicationShutdown();
    const raw = connectRedis(server.url, "test", log);
    await raw.hset("specfleet:registry:workers", "broken", '{"workerId": 1}');
    await closeRedis(raw);
    const restarted = new RedisWorkerRepository({ REDIS_URL: server.url }, log);
    const loaded = (await restarted.load()).sort((a, b) => a.workerId.localeCompare(b.workerId));
    assert.deepEqual(loaded, [{ ...worker("d1"), state: "lost" }, worker("d2")]);
    await restarted.onApplicationShutdown();
  });
});
