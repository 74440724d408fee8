import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { Redis } from "ioredis";
import { startRedis, type ServerHandle } from "#infra";
import { createLogger } from "#logging";
import { closeRedis, connectRedis } from "#redis";
import {
  FencedOutError,
  LEASE_KEY,
  LEASE_TOKEN_KEY,
  LeaderLease,
  type HeldLease,
} from "../src/leadership/leader-lease.js";
import { Leadership } from "../src/leadership/leadership.js";
import { RedisSessionRepository } from "../src/sessions/session-repository.js";
import type { PlacedSession } from "../src/sessions/session-table.js";
import { job } from "./scheduler-harness.js";

const log = createLogger("leader-lease-test", "silent");
const TTL_MS = 300;

function placed(verifierId: string): PlacedSession {
  return {
    job: job(),
    verifierId,
    drafterId: null,
    placedAt: 1,
    wantsDrafter: false,
    startedAt: {},
    promptTokens: null,
    generatedTokens: 0,
  };
}

/** Acquires for `lease`, polling until the lease lapses (the TTL is short here). */
async function acquireWhenFree(lease: LeaderLease): Promise<HeldLease> {
  for (;;) {
    const acquisition = await lease.acquire();
    if ("held" in acquisition) return acquisition.held;
    await sleep(20);
  }
}

/** The scheduler leader's lease and its fencing, against a real redis-server: two holders at a time. */
describe("scheduler leader lease (real redis-server)", () => {
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
  beforeEach(async () => {
    await redis.del(LEASE_KEY, LEASE_TOKEN_KEY, "specfleet:scheduler:sessions");
  });

  it("one holder at a time; a newer holder's token is larger and the stale one is fenced out", async () => {
    const a = new LeaderLease(redis, "a", TTL_MS);
    const b = new LeaderLease(redis, "b", TTL_MS);
    const heldA = await acquireWhenFree(a);
    const refused = await b.acquire();
    assert.ok("heldByAnotherForMs" in refused && refused.heldByAnotherForMs > 0, "b must not take a held lease");

    let deposedA = 0;
    const tableA = new RedisSessionRepository(redis, log, () => a.fenceOf(heldA, () => deposedA++));
    const first = placed("v1");
    await tableA.save(first);

    // a stops renewing (a pause, a partition): b takes the lapsed lease with a larger token.
    const heldB = await acquireWhenFree(b);
    assert.ok(heldB.token > heldA.token, `b's token ${heldB.token} must exceed a's ${heldA.token}`);
    assert.equal(await a.renew(heldA), false, "a must not extend b's lease");

    // a's writes are refused whole; b's go through.
    const second = placed("v2");
    await assert.rejects(tableA.save(second), FencedOutError);
    await assert.rejects(tableA.delete(first.job.sessionId), FencedOutError);
    assert.equal(deposedA, 2);
    const tableB = new RedisSessionRepository(redis, log, () => b.fenceOf(heldB, () => assert.fail("b is the leader")));
    assert.deepEqual(
      (await tableB.load()).map((s) => s.job.sessionId),
      [first.job.sessionId],
    );
    await tableB.delete(first.job.sessionId);
    assert.deepEqual(await tableB.load(), []);
  });

  it("a lapsed lease nobody took since is its holder's again; once another took it, never", async () => {
    const a = new LeaderLease(redis, "a", TTL_MS);
    const b = new LeaderLease(redis, "b", TTL_MS);
    const heldA = await acquireWhenFree(a);
    await sleep(TTL_MS + 100);
    assert.equal(await redis.exists(LEASE_KEY), 0, "the lease lapsed");
    // Redis restarted, a pause shorter than a standby's look: nobody led in between.
    assert.equal(await a.renew(heldA), true);
    assert.equal(await redis.get(LEASE_KEY), heldA.value);

    await sleep(TTL_MS + 100);
    await acquireWhenFree(b);
    assert.equal(await a.renew(heldA), false);
  });

  it("a released lease is taken at once", async () => {
    const a = new LeaderLease(redis, "a", 60_000);
    const b = new LeaderLease(redis, "b", 60_000);
    const heldA = await acquireWhenFree(a);
    await a.release(heldA);
    const acquisition = await b.acquire();
    assert.ok("held" in acquisition, "b takes the released lease without waiting for its TTL");
  });

  it("leadership: a standby is told once a live leader renews, and takes over when the leader stops", async () => {
    const deposed: string[] = [];
    const leader = new Leadership({
      lease: new LeaderLease(redis, "l1", TTL_MS),
      log,
      deposed: (r) => deposed.push(r),
    });
    const standby = new Leadership({
      lease: new LeaderLease(redis, "l2", TTL_MS),
      log,
      deposed: (r) => deposed.push(r),
    });
    const first = await leader.campaign();
    let sawLiveLeader = false;
    const takeover = standby.campaign(() => (sawLiveLeader = true));
    while (!sawLiveLeader) await sleep(20);
    assert.equal(standby.leading, false);
    await leader.ensure();
    await leader.release();
    const second = await takeover;
    assert.ok(second.token > first.token);
    assert.equal(standby.leading, true);
    await standby.release();
    assert.deepEqual(deposed, []);
  });

  it("leadership: a leader whose lease another took is deposed at its next check and places nothing", async () => {
    const deposed: string[] = [];
    const leader = new Leadership({
      lease: new LeaderLease(redis, "l1", TTL_MS),
      log,
      deposed: (r) => deposed.push(r),
    });
    await leader.campaign();
    // What a long pause looks like from Redis: the lease lapsed and a standby took it.
    await redis.del(LEASE_KEY);
    await acquireWhenFree(new LeaderLease(redis, "l2", TTL_MS));
    await assert.rejects(leader.confirm(), FencedOutError);
    assert.equal(deposed.length, 1);
    assert.equal(leader.leading, false);
    assert.throws(() => leader.fence(), FencedOutError);
    await assert.rejects(leader.ensure(), FencedOutError);
    assert.equal(deposed.length, 1, "deposed once");
    await leader.release();
  });
});
