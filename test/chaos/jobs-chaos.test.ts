import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { LocalFleet } from "#infra";
import { MODEL, MODEL_PATH, PROMPTS } from "../support/fleet.js";
import { api, jobResults, type JobBody } from "../support/jobs-client.js";
import { startProxiedFleet, type ProxiedFleet } from "../support/proxied-fleet.js";
import { referenceCompletions, type ReferenceCompletions } from "../support/reference.js";

const REQUESTS = 200;
const MAX_TOKENS = 48;

/**
 * Nothing lost: a 200-request job runs on while the gateway, the scheduler, a verifier and
 * redis-server (append-only file) are each SIGKILLed in turn. The job completes, every result
 * equals the target alone, no request's result is recorded twice, and the counts add up.
 */
describe("jobs: a 200-request job through SIGKILLed actors", () => {
  let harness: ProxiedFleet;
  let fleet: LocalFleet;
  let reference: ReferenceCompletions;

  before(async () => {
    reference = await referenceCompletions(MODEL_PATH, PROMPTS, MAX_TOKENS);
    harness = await startProxiedFleet("jobs-chaos", {
      verifiers: ["verifier-1", "verifier-2"],
      drafters: ["drafter-1"],
      maxSessions: 2,
      serviceEnv: { gateway: { JOBS_FLEET_SHARE: "1" } },
    });
    fleet = harness.fleet;
  });

  after(async () => {
    await harness?.stop();
  });

  /** The job as the gateway shows it; null while the gateway or redis-server is away. */
  const state = async (id: string): Promise<JobBody | null> => {
    try {
      const answer = await api<JobBody>(fleet.gatewayUrl, "GET", `/v1/jobs/${id}`);
      return answer.status === 200 ? answer.body : null;
    } catch {
      return null;
    }
  };
  const kill = async (name: string) => {
    const process = fleet.processes.get(name)!;
    process.kill("SIGKILL");
    await process.exited;
  };
  const until = async (id: string, done: (job: JobBody) => boolean): Promise<JobBody> => {
    for (;;) {
      const job = await state(id);
      if (job && done(job)) return job;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  it("completes with every result as the target alone, each recorded once", async () => {
    const submitted = await api<JobBody>(fleet.gatewayUrl, "POST", "/v1/jobs", {
      model: MODEL,
      requests: Array.from({ length: REQUESTS }, (_, i) => ({
        custom_id: `r${i}`,
        prompt: PROMPTS[i % PROMPTS.length],
        max_tokens: MAX_TOKENS,
        temperature: 0,
        return_token_ids: true,
      })),
    });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const id = submitted.body.id;
    const kills: string[] = [];

    await until(id, (job) => job.progress.done >= 20);
    await kill("gateway");
    kills.push("gateway");
    await fleet.restart("gateway");

    await until(id, (job) => job.progress.done >= 60);
    await kill("scheduler");
    kills.push("scheduler");
    await fleet.restart("scheduler");

    await until(id, (job) => job.progress.done >= 100);
    await kill("verifier-1");
    kills.push("verifier-1");

    const before = await until(id, (job) => job.progress.done >= 130);
    assert.ok(before.progress.done < REQUESTS, "redis-server is killed while the job still runs");
    harness.redis.kill("SIGKILL");
    await harness.redis.exited;
    kills.push("redis-server");
    await harness.restartRedis();

    const job = await until(id, (j) => ["succeeded", "failed", "cancelled"].includes(j.status));
    assert.deepEqual(kills, ["gateway", "scheduler", "verifier-1", "redis-server"]);
    assert.equal(job.status, "succeeded", JSON.stringify(job));
    assert.deepEqual(
      { done: job.progress.done, succeeded: job.progress.succeeded, failed: job.progress.failed },
      { done: REQUESTS, succeeded: REQUESTS, failed: 0 },
    );
    const results = await jobResults(fleet.gatewayUrl, id);
    assert.deepEqual(
      results.map((r) => r.index),
      Array.from({ length: REQUESTS }, (_, i) => i),
      "one result per request, none twice",
    );
    for (const line of results) {
      const prompt = PROMPTS[line.index % PROMPTS.length]!;
      assert.equal(line.custom_id, `r${line.index}`);
      const tokenIds = line.response.choices[0]!.token_ids ?? [];
      assert.deepEqual(tokenIds, (await reference.for(prompt, tokenIds)).tokens, `request ${line.index}`);
    }
    const completionTokens = results.reduce((sum, r) => sum + r.response.usage.completion_tokens, 0);
    const promptTokens = results.reduce((sum, r) => sum + r.response.usage.prompt_tokens, 0);
    assert.equal(job.usage.completion_tokens, completionTokens, "the job's counts add up to its results");
    assert.equal(job.usage.prompt_tokens, promptTokens);
  });
});
