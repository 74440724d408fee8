import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ExecutionContext } from "@nestjs/common";
import type { Redis } from "ioredis";
import { gatewayConfigSchema, parseConfig } from "#config";
import { startRedis, type ServerHandle } from "#infra";
import { createLogger } from "#logging";
import { connectRedis } from "#redis";
import { HttpApiError } from "#http";
import type { ApiKey } from "../src/keys/api-key.js";
import { ApiKeyGuard } from "../src/keys/api-key.guard.js";
import { callerOf } from "../src/keys/caller.js";
import { KeyDirectory, KeyLookupTimeout } from "../src/keys/key-directory.js";
import { ApiKeyRepository } from "../src/keys/key-repository.js";

const config = parseConfig(gatewayConfigSchema, {});
const log = createLogger("api-key-lookup-timeout-test", "silent");

/** A repository whose answers the test releases by hand (Redis not answering until then). */
function stalledRepository() {
  const waiting: Array<() => void> = [];
  let calls = 0;
  const stall = <T>(value: T) =>
    new Promise<T>((resolve) => {
      calls++;
      waiting.push(() => resolve(value));
    });
  const repository = {
    anyActive: () => stall(true),
    findByHash: () => stall<ApiKey | null>(null),
  } as unknown as ApiKeyRepository;
  return {
    repository,
    calls: () => calls,
    answer: () => waiting.splice(0).forEach((resolve) => resolve()),
  };
}

function httpContext(request: object): ExecutionContext {
  return {
    getType: () => "http",
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
}

describe("a key lookup Redis does not answer (fake repository)", () => {
  it("rejects with KeyLookupTimeout after the lookup timeout; callers meanwhile share one lookup", async () => {
    const store = stalledRepository();
    const directory = new KeyDirectory(store.repository, 1000, 30);
    const outcomes = await Promise.allSettled([directory.keysRequired(), directory.keysRequired()]);
    for (const outcome of outcomes) {
      assert.equal(outcome.status, "rejected");
      assert.ok(outcome.reason instanceof KeyLookupTimeout, String(outcome.reason));
      assert.equal(outcome.reason.waitedMs, 30);
    }
    assert.equal(store.calls(), 1, "one lookup for both callers");
    // Redis answers at last: the pending lookup is cached, and the next call does not wait.
    store.answer();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await directory.keysRequired(), true);
    assert.equal(store.calls(), 1);
  });

  it("the /v1 guard answers 503 key_store_unavailable with Retry-After, as OpenAI's error object", async () => {
    const store = stalledRepository();
    const guard = new ApiKeyGuard(new KeyDirectory(store.repository, 1000, 1500), config);
    const request = { path: "/v1/completions", headers: { authorization: "Bearer sk-sf-whatever" } };
    const error = await guard.canActivate(httpContext(request)).then(
      () => null,
      (err: unknown) => err,
    );
    assert.ok(error instanceof HttpApiError, `expected an HttpApiError, got ${String(error)}`);
    assert.equal(error.status, 503);
    assert.equal(error.retryAfterSeconds, 2, "the lookup timeout, in whole seconds");
    assert.deepEqual(Object.keys(error.body().error).sort(), ["code", "message", "param", "type"]);
    assert.equal(error.body().error.type, "service_unavailable");
    assert.equal(error.body().error.code, "key_store_unavailable");
    assert.ok(!error.message.includes("sk-sf-whatever"), "the token is not echoed");
    assert.throws(() => callerOf(request), /no caller/, "no caller was set");
    // Routes outside /v1 do not look keys up at all.
    assert.equal(await guard.canActivate(httpContext({ path: "/admin/keys", headers: {} })), true);
    store.answer();
  });
});

describe("a key lookup against a stalled, then stopped, redis-server", () => {
  let server: ServerHandle;
  let redis: Redis;

  before(async () => {
    server = await startRedis();
    // As the gateway connects: commands wait in ioredis' offline queue while Redis is away.
    redis = connectRedis(server.url, "test", log);
  });

  after(async () => {
    // Redis is gone by now: drop the connection rather than wait for QUIT's answer.
    redis?.disconnect();
    server?.kill("SIGCONT"); // in case the test stopped half-way
    await server?.stop();
  });

  it("times out instead of waiting, and answers again once Redis does", async () => {
    const keys = new ApiKeyRepository(redis);
    const { key, secret } = await keys.create({
      name: "ci",
      limits: {},
      jobPriority: 0,
      priorityRange: { min: 0, max: 1000 },
    });
    const directory = new KeyDirectory(keys, 0, 300);
    assert.equal((await directory.keyOf(secret))?.id, key.id);

    server.kill("SIGSTOP"); // up, connected, not answering
    await assert.rejects(directory.keyOf(secret), KeyLookupTimeout);
    await assert.rejects(directory.keysRequired(), KeyLookupTimeout);
    server.kill("SIGCONT");
    assert.equal((await directory.keyOf(secret))?.id, key.id);
    assert.equal(await directory.keysRequired(), true);

    await server.stop(); // gone: the connection is refused, ioredis keeps reconnecting
    await assert.rejects(directory.keyOf(secret), KeyLookupTimeout);
    await assert.rejects(directory.keysRequired(), KeyLookupTimeout);
  });
});
