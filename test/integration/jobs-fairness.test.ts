import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ANY_ID, SessionStream, type SessionEvent } from "#contracts";
import type { LocalFleet } from "#infra";
import { ContractBus } from "#transport";
import type { NatsConnection } from "nats";
import pino from "pino";
import { connectToFleet } from "../support/fleet-nats.js";
import { MODEL, PROMPTS, startTestFleet } from "../support/fleet.js";
import { api, waitForJob, type JobBody } from "../support/jobs-client.js";

const ADMIN_TOKEN = "fairness-admin-token";

/** Job sessions running now and the most ever at once, from the fleet's own session events. */
class JobSessions {
  private readonly running = new Map<string, string>();
  peak = 0;

  seen(event: SessionEvent): void {
    const tenantJob = event.sessionId.match(/^(job|batch)_[0-9a-f]+/)?.[0];
    if (!tenantJob) return;
    if (event.kind === "opened") this.running.set(event.sessionId, tenantJob);
    if (event.kind === "end" || event.kind === "error") this.running.delete(event.sessionId);
    this.peak = Math.max(this.peak, this.running.size);
  }

  /** Sessions running now, of one job or all. */
  count(jobId?: string): number {
    return [...this.running.values()].filter((job) => !jobId || job === jobId).length;
  }

  reset(): void {
    this.peak = this.running.size;
  }
}

/**
 * Fair sharing on a fleet of two session slots: jobs take a bounded share; interactive requests
 * go first; one key's big job does not keep another key's job waiting; a key sees only its jobs.
 */
describe("jobs: fair sharing of the fleet", () => {
  let fleet: LocalFleet;
  let nc: NatsConnection;
  const sessions = new JobSessions();

  before(async () => {
    fleet = await startTestFleet("jobs-fairness", {
      verifiers: 1,
      drafters: 1,
      maxSessions: 2,
      serviceEnv: { gateway: { JOBS_FLEET_SHARE: "0.5", GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN } },
    });
    nc = await connectToFleet(fleet);
    new ContractBus(nc, pino({ level: "silent" })).subscribe(SessionStream, ANY_ID, (event) => sessions.seen(event));
    await nc.flush();
  });

  after(async () => {
    await nc?.close();
    await fleet?.stop();
  });

  const longJob = (n: number, headers: Record<string, string> = {}) =>
    api<JobBody>(
      fleet.gatewayUrl,
      "POST",
      "/v1/jobs",
      {
        model: MODEL,
        requests: Array.from({ length: n }, (_, i) => ({ prompt: PROMPTS[i % PROMPTS.length], max_tokens: 256 })),
      },
      headers,
    );
  const until = async (check: () => boolean | Promise<boolean>) => {
    while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 50));
  };
  const jobState = async (id: string, headers: Record<string, string> = {}) =>
    (await api<JobBody>(fleet.gatewayUrl, "GET", `/v1/jobs/${id}`, undefined, headers)).body;

  it("keeps a job within its share of the fleet, and interactive requests run beside it", async () => {
    sessions.reset();
    const submitted = await longJob(8);
    assert.equal(submitted.status, 202);
    await until(() => sessions.count(submitted.body.id) > 0);
    // Half of two slots: the job runs one request at a time; the other slot serves interactive requests.
    const interactive = await api(fleet.gatewayUrl, "POST", "/v1/completions", {
      model: MODEL,
      prompt: "Hi",
      max_tokens: 8,
    });
    assert.equal(interactive.status, 200);
    assert.notEqual((await jobState(submitted.body.id)).status, "succeeded", "served while the job still ran");
    const job = await waitForJob(fleet.gatewayUrl, submitted.body.id);
    assert.equal(job.status, "succeeded");
    assert.equal(sessions.peak, 1, "the job never held more than its share (1 of 2 slots)");
  });

  it("refuses a webhook it could not sign with a secret its owner knows", async () => {
    const answer = await api<{ error: { code: string; param: string } }>(fleet.gatewayUrl, "POST", "/v1/jobs", {
      model: MODEL,
      requests: [{ prompt: "Hi" }],
      webhook: { url: "http://127.0.0.1:9/hook" },
    });
    assert.equal(answer.status, 400);
    assert.deepEqual([answer.body.error.code, answer.body.error.param], ["webhook_secret_missing", "webhook"]);
  });

  it("serves interactive requests before jobs' waiting requests, and shares slots between keys", async () => {
    // Jobs may now take the whole fleet, and keys exist: two teams.
    const gateway = fleet.processes.get("gateway")!;
    gateway.kill("SIGTERM");
    await gateway.exited;
    await fleet.restart("gateway", { JOBS_FLEET_SHARE: "1" });
    const admin = (body: unknown) =>
      api<{ id: string; secret: string }>(fleet.gatewayUrl, "POST", "/admin/keys", body, {
        Authorization: `Bearer ${ADMIN_TOKEN}`,
      });
    const a = (await admin({ name: "team-a" })).body;
    const b = (await admin({ name: "team-b" })).body;
    const asA = { Authorization: `Bearer ${a.secret}` };
    const asB = { Authorization: `Bearer ${b.secret}` };

    const big = await longJob(40, asA);
    assert.equal(big.status, 202, JSON.stringify(big.body));
    await until(() => sessions.count(big.body.id) === 2);

    // An interactive request waits for a slot, and takes the first one free, ahead of the job's next requests.
    const interactive = await api(
      fleet.gatewayUrl,
      "POST",
      "/v1/completions",
      { model: MODEL, prompt: "Hi", max_tokens: 8 },
      asB,
    );
    assert.equal(interactive.status, 200, JSON.stringify(interactive.body));
    assert.ok((await jobState(big.body.id, asA)).progress.done <= 4, "served within the next slot that freed");

    // Team B's job gets its share while team A's big job runs on.
    const small = await longJob(3, asB);
    assert.equal(small.status, 202);
    const done = await waitForJob(fleet.gatewayUrl, small.body.id, 300_000, asB);
    assert.equal(done.status, "succeeded");
    const aNow = await jobState(big.body.id, asA);
    assert.equal(aNow.status, "running", `team B finished while team A's job ran (A: ${aNow.progress.done}/40)`);

    // Each key sees its own jobs only.
    assert.equal((await api(fleet.gatewayUrl, "GET", `/v1/jobs/${big.body.id}`, undefined, asB)).status, 404);
    assert.equal((await api(fleet.gatewayUrl, "POST", `/v1/jobs/${big.body.id}/cancel`, undefined, asB)).status, 404);
    const listed = await api<{ data: JobBody[] }>(fleet.gatewayUrl, "GET", "/v1/jobs", undefined, asB);
    assert.deepEqual(
      listed.body.data.map((j) => j.id),
      [small.body.id],
    );
    assert.equal((await api(fleet.gatewayUrl, "POST", `/v1/jobs/${big.body.id}/cancel`, undefined, asA)).status, 200);
    assert.equal((await waitForJob(fleet.gatewayUrl, big.body.id, 60_000, asA)).status, "cancelled");
  });
});
