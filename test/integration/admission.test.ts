import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ANY_ID, SessionStream, type SessionEvent } from "#contracts";
import type { LocalFleet } from "#infra";
import { complete } from "../support/openai-client.js";
import { MODEL, MODEL_PATH } from "../support/fleet.js";
import { startProxiedFleet, type ProxiedFleet } from "../support/proxied-fleet.js";
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
  let harness: ProxiedFleet;
  let fleet: LocalFleet;
  let reference: Map<string, ReferenceCompletion>;
  const opened: string[] = [];

  before(async () => {
    reference = await referenceCompletions(MODEL_PATH, PROMPTS, LONG);
    harness = await startProxiedFleet("admission", {
      verifiers: ["verifier-1"],
      drafters: ["drafter-1"],
      maxSessions: 1,
      serviceEnv: {
        scheduler: { SCHEDULER_QUEUE_LIMIT: "2", SCHEDULER_RETRY_AFTER_S: "3" },
        // Callers without a key may not jump the queue by default; this test is the operator's.
        gateway: { GATEWAY_ANON_PRIORITY_MIN: "-1000" },
      },
    });
    fleet = harness.fleet;
    harness.bus.subscribe(SessionStream, ANY_ID, (event: SessionEvent) => {
      if (event.kind === "opened") opened.push(event.sessionId);
    });
    await harness.bus.nc.flush();
  });

  after(async () => {
    await harness?.stop();
  });

  const request = (prompt: string, extra: Record<string, unknown> = {}) =>
    complete(fleet.gatewayUrl, { model: MODEL, prompt, max_tokens: LONG, ...extra });
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
    harness.redis.kill("SIGKILL");
    await harness.redis.exited;
    // With the scheduler killed too, its queue can only come back from redis-server's file.
    fleet.processes.get("scheduler")!.kill("SIGKILL");
    await harness.restartRedis();
    await fleet.restart("scheduler");
    const [a, b] = await Promise.all([running, queued]);
    assertReference(a, PROMPTS[2]!);
    assertReference(b, PROMPTS[3]!);
  });
});

describe("admission: a request that waits past its deadline", () => {
  let harness: ProxiedFleet;
  let fleet: LocalFleet;

  before(async () => {
    harness = await startProxiedFleet("admission-deadline", {
      verifiers: ["verifier-1"],
      drafters: ["drafter-1"],
      maxSessions: 1,
      // The gateway's idle timeout is shorter than the queue's deadline: a queued request still
      // waits for the scheduler's answer (it once got a 504 from the gateway first).
      serviceEnv: {
        scheduler: { SCHEDULER_QUEUE_TIMEOUT_MS: "1500", SCHEDULER_RETRY_AFTER_S: "5" },
        gateway: { GATEWAY_IDLE_TIMEOUT_MS: "1000" },
      },
    });
    fleet = harness.fleet;
  });

  after(async () => {
    await harness?.stop();
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
    // Bounds far from any machine's speed: the scheduler's answer, not the gateway's idle 504 or a hang.
    assert.ok(Date.now() - started < 30_000, "told at its deadline, long before the gateway's wait ends");
    assert.equal((await running).status, 200);
  });
});
