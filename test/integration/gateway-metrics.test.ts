import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { NatsConnection } from "nats";
import OpenAI from "openai";
import { pino } from "pino";
import {
  GatewayJobsReport,
  MetricsReport,
  SchedulerSubmit,
  subjectFor,
  type CompletionJob,
  type PayloadOf,
} from "#contracts";
import type { LocalFleet } from "#infra";
import { createActorRegistry, FleetMetricsGatherer } from "#metrics";
import { ContractBus } from "#transport";
import { connectToFleet } from "../support/fleet-nats.js";
import { MODEL, PROMPTS, startTestFleet } from "../support/fleet.js";
import { api, waitForJob, type JobBody } from "../support/jobs-client.js";

const ADMIN_TOKEN = "gateway-metrics-admin-token";
const REPORT_MS = 200;
const MAX_TOKENS = 16;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One series' value in Prometheus' text format (`name{a="x",b="y"} 3`), summed over series whose labels include `labels`. */
function seriesValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = new Map(
      [...(match[2] ?? "").matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => found.get(k) === v)) sum += Number(match[3]);
  }
  return sum;
}

/**
 * The gateway's metrics, request origins and jobs report on a real fleet, seen as an operator's
 * tools see them: MetricsReport messages gathered by libs/metrics' FleetMetricsGatherer, the
 * GatewayJobsReport, and the scheduler's SchedulerSubmit heard by an observer.
 */
describe("gateway metrics, origins and the jobs report", () => {
  let fleet: LocalFleet;
  let nc: NatsConnection;
  let client: OpenAI;
  const gatherer = new FleetMetricsGatherer(
    createActorRegistry("dashboard", "test-gatherer", { processMetrics: false }),
  );
  let lastGatewayReportAt = 0;
  const jobReports: Array<PayloadOf<typeof GatewayJobsReport>> = [];
  const submits: CompletionJob[] = [];

  before(async () => {
    fleet = await startTestFleet("gateway-metrics", {
      verifiers: 1,
      drafters: 1,
      maxSessions: 4,
      serviceEnv: {
        gateway: {
          GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN,
          GATEWAY_KEY_CACHE_MS: "300",
          METRICS_REPORT_MS: String(REPORT_MS),
          JOBS_FLEET_SHARE: "1",
        },
      },
    });
    client = new OpenAI({ baseURL: `${fleet.gatewayUrl}/v1`, apiKey: "none", maxRetries: 0 });
    nc = await connectToFleet(fleet);
    const bus = new ContractBus(nc, pino({ level: "silent" }));
    bus.subscribe(MetricsReport, "", (report) => {
      if (report.actor !== "gateway") return;
      gatherer.add(report);
      lastGatewayReportAt = report.at;
    });
    bus.subscribe(GatewayJobsReport, "", (report) => void jobReports.push(report));
    // An observer beside the scheduler (not a responder): every submit is heard, none answered.
    nc.subscribe(subjectFor(SchedulerSubmit, ""), {
      callback: (_err, msg) => {
        const decoded = SchedulerSubmit.schema.safeParse(msg.json());
        if (decoded.success) submits.push(decoded.data);
      },
    });
    await nc.flush();
  });

  after(async () => {
    await nc?.close();
    await fleet?.stop();
  });

  /** The gateway's metrics as the gatherer renders them, from a report made after everything so far was answered. */
  async function metricsNow(): Promise<string> {
    const since = Date.now();
    // Two intervals: the report read its registry after the last answer's 'finish'.
    while (lastGatewayReportAt <= since + REPORT_MS) await sleep(50);
    return gatherer.render();
  }

  it("counts HTTP answers by route, completions by finish reason, TTFT, e2e and tokens", async () => {
    const before = await metricsNow();
    const finishes: string[] = [];
    let completionTokens = 0;
    let promptTokens = 0;
    const count = (usage: { prompt_tokens: number; completion_tokens: number } | undefined) => {
      assert.ok(usage, "usage");
      completionTokens += usage.completion_tokens;
      promptTokens += usage.prompt_tokens;
    };
    for (const prompt of PROMPTS.slice(0, 2)) {
      const whole = await client.completions.create({ model: MODEL, prompt, max_tokens: MAX_TOKENS, temperature: 0 });
      finishes.push(whole.choices[0]!.finish_reason);
      count(whole.usage);
    }
    const stream = await client.completions.create({
      model: MODEL,
      prompt: PROMPTS[2]!,
      max_tokens: MAX_TOKENS,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const chunk of stream) {
      const reason = chunk.choices[0]?.finish_reason;
      if (reason) finishes.push(reason);
      if (chunk.usage) count(chunk.usage);
    }
    const chat = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: "Tell me a story" }],
      max_tokens: MAX_TOKENS,
      temperature: 0,
    });
    finishes.push(chat.choices[0]!.finish_reason);
    count(chat.usage);
    const bad = await api(fleet.gatewayUrl, "POST", "/v1/completions", { model: MODEL, prompt: "x", max_tokens: -1 });
    assert.equal(bad.status, 400);
    const unknown = await api(fleet.gatewayUrl, "GET", "/v1/no-such-route/123");
    assert.equal(unknown.status, 404);
    const completions = 4;
    assert.equal(finishes.length, completions);

    const now = await metricsNow();
    const delta = (name: string, labels: Record<string, string> = {}) =>
      seriesValue(now, name, { actor: "gateway", ...labels }) -
      seriesValue(before, name, { actor: "gateway", ...labels });
    const http = "specfleet:http_requests_total";
    assert.equal(delta(http, { route: "/v1/completions", method: "POST", status: "200" }), 3, now);
    assert.equal(delta(http, { route: "/v1/completions", method: "POST", status: "400" }), 1);
    assert.equal(delta(http, { route: "/v1/chat/completions", method: "POST", status: "200" }), 1);
    assert.equal(delta(http, { route: "unmatched", method: "GET", status: "404" }), 1);
    assert.ok(!now.includes("/v1/no-such-route"), "never the raw path of an unknown route");

    for (const reason of ["stop", "length"])
      assert.equal(
        delta("specfleet:request_success_total", { model: MODEL, finished_reason: reason }),
        finishes.filter((f) => f === reason).length,
        `finished_reason ${reason}`,
      );
    assert.equal(delta("specfleet:request_success_total"), completions, "the 400 never became a completion");
    assert.equal(delta("specfleet:time_to_first_token_seconds_count", { model: MODEL }), completions);
    assert.equal(delta("specfleet:e2e_request_latency_seconds_count", { model: MODEL }), completions);
    assert.ok(delta("specfleet:e2e_request_latency_seconds_sum") >= delta("specfleet:time_to_first_token_seconds_sum"));
    assert.equal(delta("specfleet:generation_tokens_total", { model: MODEL }), completionTokens);
    assert.equal(delta("specfleet:prompt_tokens_total", { model: MODEL }), promptTokens);
    assert.equal(delta("specfleet:request_generation_tokens_sum"), completionTokens);
    assert.equal(delta("specfleet:request_generation_tokens_count"), completions);
    // Each answer here has at least 2 tokens: each has a TPOT.
    assert.equal(delta("specfleet:request_time_per_output_token_seconds_count"), completions);
    // The process's own metrics come with them (prom-client's defaults).
    assert.ok(seriesValue(now, "process_cpu_user_seconds_total", { actor: "gateway" }) > 0);
  });

  it("a job shows in GatewayJobsReport with its progress, then its final state; its requests carry the job's id", async () => {
    const requests = PROMPTS.map((prompt, i) => ({
      custom_id: `r${i}`,
      prompt,
      max_tokens: MAX_TOKENS,
      temperature: 0,
    }));
    // With the scheduler paused, the job runs but none of its requests can end: it is reported running at 0.
    const scheduler = fleet.processes.get("scheduler")!;
    let job: JobBody;
    scheduler.kill("SIGSTOP");
    try {
      const submitted = await api<JobBody>(fleet.gatewayUrl, "POST", "/v1/jobs", { model: MODEL, requests });
      assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
      job = submitted.body;
      const listed = () => jobReports.flatMap((r) => r.jobs.filter((j) => j.id === job.id));
      while (!listed().some((j) => j.status === "running")) await sleep(50);
      const running = listed().find((j) => j.status === "running")!;
      assert.deepEqual(
        { keyId: running.keyId, total: running.total, completed: running.completed, failed: running.failed },
        { keyId: null, total: requests.length, completed: 0, failed: 0 },
      );
    } finally {
      scheduler.kill("SIGCONT");
    }
    const finished = await waitForJob(fleet.gatewayUrl, job.id);
    assert.equal(finished.status, "succeeded");
    const reportsOf = () => jobReports.map((r) => ({ at: r.at, job: r.jobs.find((j) => j.id === job.id) }));
    while (!reportsOf().some((r) => r.job?.status === "succeeded")) await sleep(50);
    const seen = reportsOf().flatMap((r) => (r.job ? [r.job] : []));
    const final = seen.at(-1)!;
    assert.deepEqual(
      { status: final.status, completed: final.completed, failed: final.failed, total: final.total },
      { status: "succeeded", completed: requests.length, failed: 0, total: requests.length },
    );
    assert.equal(Math.floor(final.createdAt / 1000), job.created_at, "createdAt in ms, the job's created_at in s");
    for (const [i, progress] of seen.entries())
      if (i > 0) assert.ok(progress.completed >= seen[i - 1]!.completed, "progress never goes back");
    // Once nothing runs, one empty report says so.
    const finalAt = jobReports.find((r) => r.jobs.some((j) => j.id === job.id && j.status === "succeeded"))!.at;
    while (!jobReports.some((r) => r.at > finalAt && r.jobs.length === 0)) await sleep(50);

    const jobSubmits = submits.filter((s) => s.origin?.jobId === job.id);
    assert.ok(jobSubmits.length >= requests.length, `submits of the job: ${jobSubmits.length}`);
    assert.ok(jobSubmits.every((s) => s.origin?.keyId === null));
  });

  it("once API keys exist, a request's SchedulerSubmit carries its key's id, never its secret", async () => {
    const created = await api<{ id: string; secret: string }>(
      fleet.gatewayUrl,
      "POST",
      "/admin/keys",
      { name: "metrics-origin" },
      { Authorization: `Bearer ${ADMIN_TOKEN}` },
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await sleep(400); // the gateway's key cache (GATEWAY_KEY_CACHE_MS 300)
    const keyed = new OpenAI({ baseURL: `${fleet.gatewayUrl}/v1`, apiKey: created.body.secret, maxRetries: 0 });
    const answer = await keyed.completions.create({ model: MODEL, prompt: PROMPTS[0]!, max_tokens: 4, temperature: 0 });
    const submit = submits.find((s) => s.sessionId === answer.id);
    assert.ok(submit, `the observer heard the submit of ${answer.id}`);
    assert.deepEqual(submit.origin, { keyId: created.body.id, jobId: null });
    assert.ok(!JSON.stringify(submit).includes(created.body.secret));
    // An anonymous request before the keys existed carried none.
    assert.ok(submits.some((s) => s.origin?.keyId === null && s.origin.jobId === null));
  });
});
