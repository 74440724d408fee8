import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { connect, type NatsConnection } from "nats";
import pino from "pino";
import { ANY_ID, SessionStream, type SessionEvent } from "#contracts";
import { startLatencyProxy, startNats, startRedis, type LatencyProxy, type LocalFleet, type ServerHandle } from "#infra";
import { ContractBus } from "#transport";
import { complete } from "../support/openai-client.js";
import { MODEL, MODEL_PATH, startTestFleet } from "../support/fleet.js";
import { referenceCompletions, type ReferenceCompletion } from "../support/reference.js";

const LONG = 300;
const PROMPTS = ["Once upon a time", "The little dog", "One day, a big bird", "Tom had a red ball."];

/**
 * Admission through the durable queue, on a fleet with room for one session at a time (its
 * workers reach NATS through a proxy adding 10 ms each way, so a long request holds the pair
 * for a second or two): priorities, a full queue answered 429 with Retry-After, and queued and
 * running requests surviving a SIGKILLed scheduler and a SIGKILLed redis-server (append-only
 * file on), every answer token-identical to the target alone.
 */
describe("admission: the durable queue", () => {
  let nats: ServerHandle;
  let redis: ServerHandle;
  let redisDir: string;
  let proxy: LatencyProxy;
  let fleet: LocalFleet;
  let nc: NatsConnection;
  let reference: Map<string, ReferenceCompletion>;
  const opened: string[] = [];

  before(async () => {
    reference = await referenceCompletions(MODEL_PATH, PROMPTS, LONG);
    nats = await startNats();
    redisDir = await mkdtemp(join(tmpdir(), "specfleet-admission-redis-"));
    redis = await startRedis({ dir: redisDir, appendOnly: true });
    const natsUrl = new URL(nats.url);
    proxy = await startLatencyProxy(natsUrl.hostname, Number(natsUrl.port), { delayMs: 10 });
    const throughProxy = { NATS_URL: proxy.url("nats") };
    fleet = await startTestFleet("admission", {
      natsUrl: nats.url,
      redisUrl: redis.url,
      verifiers: [{ id: "verifier-1", env: throughProxy }],
      drafters: [{ id: "drafter-1", env: throughProxy }],
      maxSessions: 1,
      serviceEnv: { scheduler: { SCHEDULER_QUEUE_LIMIT: "2", SCHEDULER_RETRY_AFTER_S: "3" } },
    });
    nc = await connect({ servers: nats.url });
    new ContractBus(nc, pino({ level: "silent" })).subscribe(SessionStream, ANY_ID, (event: SessionEvent) => {
      if (event.kind === "opened") opened.push(event.sessionId);
    });
    await nc.flush();
  });

  after(async () => {
    await nc?.close();
    await fleet?.stop();
    await proxy?.close();
    await redis?.stop();
    await nats?.stop();
    if (redisDir) await rm(redisDir, { recursive: true, force: true });
  });

  const request = (prompt: string, extra: Record<string, unknown> = {}) => complete(fleet.gatewayUrl, { model: MODEL, prompt, max_tokens: LONG, ...extra });
  const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const assertReference = (result: Awaited<ReturnType<typeof request>>, prompt: string) => {
    assert.equal(result.status, 200, JSON.stringify(result.body));
    assert.deepEqual(result.tokenIds, reference.get(prompt)!.tokens);
  };

  it("serves waiting requests by priority, and answers 429 with Retry-After when the queue is full", async () => {
    const running = request(PROMPTS[0]!);
    await settle(300);
    const low = request(PROMPTS[1]!, { priority: 5 });
    await settle(100);
    const high = request(PROMPTS[2]!, { priority: -5 });
    await settle(100);
    // One running, two waiting: the queue (limit 2) is full.
    const refused = await fetch(`${fleet.gatewayUrl}/v1/completions`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model: MODEL, prompt: PROMPTS[3], max_tokens: 8, temperature: 0 }),
    });
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get("retry-after"), "3");
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, "queue_full");
    const [a, b, c] = await Promise.all([running, low, high]);
    assertReference(a, PROMPTS[0]!);
    assertReference(b, PROMPTS[1]!);
    assertReference(c, PROMPTS[2]!);
    const order = opened.slice(-3);
    assert.equal(order.length, 3);
    // The high-priority request, submitted last, started second.
    assert.equal(order[1], (c.body as { id: string }).id);
    assert.equal(order[2], (b.body as { id: string }).id);
  });

  it("keeps running and queued requests through a SIGKILLed scheduler", async () => {
    const running = request(PROMPTS[0]!);
    await settle(300);
    const queued = request(PROMPTS[1]!);
    await settle(200);
    fleet.processes.get("scheduler")!.kill("SIGKILL");
    await settle(300);
    await fleet.restart("scheduler");
    const [a, b] = await Promise.all([running, queued]);
    assertReference(a, PROMPTS[0]!);
    assertReference(b, PROMPTS[1]!);
  });

  it("loses no queued request when redis-server is SIGKILLed and restarted on its append-only file", async () => {
    const running = request(PROMPTS[2]!);
    await settle(300);
    const queued = request(PROMPTS[3]!);
    await settle(200);
    const port = redis.port;
    redis.kill("SIGKILL");
    await redis.exited;
    // The scheduler must not notice anything but a reconnect; then it serves the queue again.
    fleet.processes.get("scheduler")!.kill("SIGKILL");
    redis = await startRedis({ dir: redisDir, appendOnly: true, port });
    await fleet.restart("scheduler");
    const [a, b] = await Promise.all([running, queued]);
    assertReference(a, PROMPTS[2]!);
    assertReference(b, PROMPTS[3]!);
  });
});

describe("admission: a request that waits past its deadline", () => {
  let nats: ServerHandle;
  let proxy: LatencyProxy;
  let fleet: LocalFleet;

  before(async () => {
    nats = await startNats();
    const natsUrl = new URL(nats.url);
    proxy = await startLatencyProxy(natsUrl.hostname, Number(natsUrl.port), { delayMs: 10 });
    const throughProxy = { NATS_URL: proxy.url("nats") };
    fleet = await startTestFleet("admission-deadline", {
      natsUrl: nats.url,
      verifiers: [{ id: "verifier-1", env: throughProxy }],
      drafters: [{ id: "drafter-1", env: throughProxy }],
      maxSessions: 1,
      serviceEnv: { scheduler: { SCHEDULER_QUEUE_TIMEOUT_MS: "400", SCHEDULER_RETRY_AFTER_S: "5" } },
    });
  });

  after(async () => {
    await fleet?.stop();
    await proxy?.close();
    await nats?.stop();
  });

  it("gets 503 queue_timeout with Retry-After, while the running request finishes", async () => {
    const running = complete(fleet.gatewayUrl, { model: MODEL, prompt: PROMPTS[0], max_tokens: LONG });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    const late = await fetch(`${fleet.gatewayUrl}/v1/completions`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model: MODEL, prompt: PROMPTS[1], max_tokens: 8, temperature: 0 }),
    });
    assert.equal(late.status, 503);
    assert.equal(late.headers.get("retry-after"), "5");
    const body = (await late.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, "queue_timeout");
    assert.match(body.error.message, /no drafter–verifier pair came free/);
    assert.ok(Date.now() - started < 3000, "told within about a second of its deadline");
    assert.equal((await running).status, 200);
  });
});
