import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { LocalFleet } from "#infra";
import { ADMISSION_PROMPTS as PROMPTS, AdmissionFleet, LONG, settle } from "../support/admission-fleet.js";
import { complete } from "../support/openai-client.js";
import { MODEL } from "../support/fleet.js";
import { startProxiedFleet, type ProxiedFleet } from "../support/proxied-fleet.js";

/**
 * Admission through the durable queue, on a fleet with room for one session at a time:
 * priorities, and a full queue answered 429 with Retry-After, every answer token-identical to
 * the target alone. The same queue through a SIGKILLed scheduler and redis-server is in
 * `npm run test:chaos` (test/chaos/admission-chaos.test.ts).
 */
describe("admission: the durable queue", () => {
  let admission: AdmissionFleet;

  before(async () => {
    admission = await AdmissionFleet.start("admission");
  });

  after(async () => {
    await admission?.stop();
  });

  it("serves waiting requests by priority, and answers 429 with Retry-After when the queue is full", async () => {
    const { fleet, opened } = admission;
    const running = admission.request(PROMPTS[0]!);
    await settle(300);
    const low = admission.request(PROMPTS[1]!, { priority: 5 });
    await settle(100);
    const high = admission.request(PROMPTS[2]!, { priority: -5 });
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
    await admission.assertReference(a, PROMPTS[0]!);
    await admission.assertReference(b, PROMPTS[1]!);
    await admission.assertReference(c, PROMPTS[2]!);
    const order = opened.slice(-3);
    assert.equal(order.length, 3);
    // The high-priority request, submitted last, started second.
    assert.equal(order[1], (c.body as { id: string }).id);
    assert.equal(order[2], (b.body as { id: string }).id);
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
