import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import express from "express";
import type { JobProgress } from "#contracts";
import { createActorRegistry, gatewayMetrics, type ActorRegistry } from "#metrics";
import { bodyParsing } from "#http";
import { httpMetrics } from "../src/http/http-metrics.js";
import { expressRoutes, RouteLabeller, UNMATCHED_ROUTE } from "../src/http/route-label.js";
import { JobsReport, JOBS_REPORT_LIMIT, type JobsReportPayload } from "../src/jobs/jobs-report.js";
import {
  CompletionMeter,
  e2eLatencyS,
  finishedReasonOf,
  timePerOutputTokenS,
  timeToFirstTokenS,
} from "../src/metrics/completion-meter.js";

/** A metric's values as prom-client reports them (histograms: `_count`, `_sum`, `_bucket` series). */
async function values(registry: ActorRegistry, name: string) {
  const metric = (await registry.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values ?? []) as Array<{
    value: number;
    labels: Record<string, string | number>;
    metricName?: string;
  }>;
}
async function valueOf(registry: ActorRegistry, name: string, series: string, labels: Record<string, string> = {}) {
  const found = (await values(registry, name)).filter(
    (v) =>
      (v.metricName ?? name) === series && Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want),
  );
  return found.reduce((sum, v) => sum + v.value, 0);
}

describe("completion timing arithmetic", () => {
  it("TTFT is arrival → first token, in seconds; none without a token", () => {
    const cases: Array<[number, number | null, number | null]> = [
      [1000, 1250, 0.25],
      [0, 0, 0],
      [500, null, null],
      // A clock that never runs backwards, but a caller's arrival noted late: never negative.
      [2000, 1990, 0],
    ];
    for (const [arrived, first, want] of cases) assert.equal(timeToFirstTokenS(arrived, first), want);
  });

  it("TPOT is (last − first) / (n − 1) in seconds, only for n ≥ 2", () => {
    const cases: Array<[number | null, number | null, number, number | null]> = [
      [100, 1100, 11, 0.1], // 10 gaps over 1 s
      [100, 300, 2, 0.2], // one gap
      [100, 100, 5, 0], // five tokens verified in one round arrive together
      [100, 100, 1, null], // one token: no gap
      [100, 900, 0, null],
      [null, null, 3, null],
    ];
    for (const [first, last, n, want] of cases)
      assert.equal(timePerOutputTokenS(first, last, n), want, `first ${first} last ${last} n ${n}`);
  });

  it("e2e latency is arrival → end, in seconds", () => {
    assert.equal(e2eLatencyS({ arrivedAt: 10, firstTokenAt: 20, lastTokenAt: 30, endedAt: 1510 }), 1.5);
  });

  it("a thrown end is `cancelled` for a cancelled session or a client gone, `error` otherwise", () => {
    assert.equal(finishedReasonOf({ code: "session_cancelled" }), "cancelled");
    assert.equal(finishedReasonOf({ code: "client_closed" }), "cancelled");
    assert.equal(finishedReasonOf({ code: "session_failed" }), "error");
    assert.equal(finishedReasonOf(new Error("timeout")), "error");
    assert.equal(finishedReasonOf(null), "error");
  });
});

describe("CompletionMeter", () => {
  const meter = (clock: { t: number }, promptTokens = 4) => {
    const registry = createActorRegistry("gateway", "gateway@test", { processMetrics: false });
    const m = new CompletionMeter(gatewayMetrics(registry), "m", 1000, promptTokens, () => clock.t);
    return { registry, m };
  };

  it("observes TTFT at the first token, then TPOT, e2e and tokens once at the end", async () => {
    const clock = { t: 1200 };
    const { registry, m } = meter(clock);
    m.tokens(0); // an event without tokens is no first token
    m.tokens(3); // first token at 1200: TTFT 0.2 s
    clock.t = 1500;
    m.tokens(2);
    clock.t = 1600;
    m.finished("length", 5);
    m.finished("error"); // counted once
    m.tokens(9); // after the end: ignored
    const ttftSum = await valueOf(
      registry,
      "specfleet:time_to_first_token_seconds",
      "specfleet:time_to_first_token_seconds_sum",
    );
    assert.ok(Math.abs(ttftSum - 0.2) < 1e-9, `TTFT sum ${ttftSum}`);
    const tpot = "specfleet:request_time_per_output_token_seconds";
    assert.ok(Math.abs((await valueOf(registry, tpot, `${tpot}_sum`)) - 0.3 / 4) < 1e-9);
    const e2e = "specfleet:e2e_request_latency_seconds";
    assert.equal(await valueOf(registry, e2e, `${e2e}_count`), 1);
    assert.ok(Math.abs((await valueOf(registry, e2e, `${e2e}_sum`)) - 0.6) < 1e-9);
    const success = "specfleet:request_success_total";
    assert.equal(await valueOf(registry, success, success, { finished_reason: "length" }), 1);
    assert.equal(await valueOf(registry, success, success, { finished_reason: "error" }), 0);
    assert.equal(await valueOf(registry, "specfleet:generation_tokens_total", "specfleet:generation_tokens_total"), 5);
    assert.equal(await valueOf(registry, "specfleet:prompt_tokens_total", "specfleet:prompt_tokens_total"), 4);
    const perRequest = "specfleet:request_generation_tokens";
    assert.equal(await valueOf(registry, perRequest, `${perRequest}_sum`), 5);
  });

  it("one token: no TPOT; a cancelled completion counts its tokens but no latency", async () => {
    const clock = { t: 1100 };
    const one = meter(clock);
    one.m.tokens(1);
    one.m.finished("stop", 1);
    const tpot = "specfleet:request_time_per_output_token_seconds";
    assert.equal(await valueOf(one.registry, tpot, `${tpot}_count`), 0);

    const cut = meter(clock, 7);
    cut.m.tokens(2);
    cut.m.finished("cancelled");
    const success = "specfleet:request_success_total";
    assert.equal(await valueOf(cut.registry, success, success, { finished_reason: "cancelled" }), 1);
    assert.equal(
      await valueOf(cut.registry, "specfleet:generation_tokens_total", "specfleet:generation_tokens_total"),
      2,
    );
    const e2e = "specfleet:e2e_request_latency_seconds";
    assert.equal(await valueOf(cut.registry, e2e, `${e2e}_count`), 0);
    const ttft = "specfleet:time_to_first_token_seconds";
    assert.equal(await valueOf(cut.registry, ttft, `${ttft}_count`), 1, "its first token did arrive");
  });
});

/** A few routes of the gateway's kinds, on an app or a router. */
function addRoutes<T extends express.Router>(app: T): T {
  app.post("/v1/completions", (_req, res) => void res.json({ ok: true }));
  app.get("/v1/jobs/:id", (req, res) => void res.json({ id: req.params.id }));
  app.get("/healthz", (_req, res) => void res.send("ok"));
  return app;
}

describe("route labels", () => {
  const labeller = new RouteLabeller(() => expressRoutes(addRoutes(express.Router())));

  it("a path is labelled with the pattern of the route that serves it, never the raw path", () => {
    const cases: Array<[string, string, unknown, string]> = [
      ["GET", "/v1/jobs/job_123", undefined, "/v1/jobs/:id"],
      ["HEAD", "/v1/jobs/job_123", undefined, "/v1/jobs/:id"], // GET routes serve HEAD
      ["POST", "/v1/completions", undefined, "/v1/completions"],
      ["GET", "/v1/completions", undefined, UNMATCHED_ROUTE], // a route, but not of this method
      ["GET", "/v1/jobs/job_123/results/extra", undefined, UNMATCHED_ROUTE],
      ["GET", "/wp-admin.php", undefined, UNMATCHED_ROUTE],
      ["GET", "/v1/jobs/%E0%A4%A", undefined, "/v1/jobs/:id"], // a parameter that does not decode (Express: 400)
      ["POST", "/v1/anything", "/v1/anything", "/v1/anything"], // the route Express matched wins
    ];
    for (const [method, path, served, want] of cases) assert.equal(labeller.label(method, path, served), want);
  });

  it("the middleware counts every answer by route pattern, method and status, a body refused before routing too", async () => {
    const registry = createActorRegistry("gateway", "gateway@test", { processMetrics: false });
    const metrics = gatewayMetrics(registry);
    const app = express();
    app.use(httpMetrics(metrics.httpRequests, new RouteLabeller(() => expressRoutes(app.router))));
    app.use(...bodyParsing("1kb"));
    // After the parsers, on the app's own router, as Nest registers them.
    addRoutes(app.router);
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const post = (body: string) =>
        fetch(`${base}/v1/completions`, { method: "POST", headers: { "Content-Type": "application/json" }, body });
      assert.equal((await post("{}")).status, 200);
      assert.equal((await post("{not json")).status, 400);
      assert.equal((await post(JSON.stringify({ x: "y".repeat(2000) }))).status, 413);
      assert.equal((await fetch(`${base}/v1/jobs/job_1`)).status, 200);
      assert.equal((await fetch(`${base}/v1/jobs/job_2`)).status, 200);
      assert.equal((await fetch(`${base}/v1/jobs/%E0%A4%A`)).status, 400); // Express' own answer; never a crash
      assert.equal((await fetch(`${base}/no/such/thing`)).status, 404);
      // Counted when the answer has gone: give the last 'finish' a turn.
      await new Promise((resolve) => setImmediate(resolve));
      const count = (labels: Record<string, string>) =>
        valueOf(registry, "specfleet:http_requests_total", "specfleet:http_requests_total", labels);
      assert.equal(await count({ route: "/v1/completions", method: "POST", status: "200" }), 1);
      assert.equal(await count({ route: "/v1/completions", method: "POST", status: "400" }), 1);
      assert.equal(await count({ route: "/v1/completions", method: "POST", status: "413" }), 1);
      assert.equal(await count({ route: "/v1/jobs/:id", method: "GET", status: "200" }), 2);
      assert.equal(await count({ route: "/v1/jobs/:id", method: "GET", status: "400" }), 1);
      assert.equal(await count({ route: UNMATCHED_ROUTE, method: "GET", status: "404" }), 1);
      const routesSeen = new Set((await values(registry, "specfleet:http_requests_total")).map((v) => v.labels.route));
      assert.deepEqual([...routesSeen].sort(), ["/v1/completions", "/v1/jobs/:id", UNMATCHED_ROUTE]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("JobsReport", () => {
  const job = (id: string, createdAt: number, status = "running"): JobProgress => ({
    id,
    keyId: null,
    status,
    total: 10,
    completed: 3,
    failed: 1,
    createdAt,
  });

  it("reports while jobs run, once more with an empty list after them, then stays silent", () => {
    const sent: JobsReportPayload[] = [];
    let now: JobProgress[] = [job("b", 2), job("a", 1)];
    const report = new JobsReport(
      () => now,
      (r) => sent.push(r),
      "gateway@test",
      1000,
      () => 42,
    );
    report.tick();
    now = [job("a", 1, "succeeded")];
    report.tick();
    now = [];
    report.tick();
    report.tick();
    report.tick();
    assert.deepEqual(
      sent.map((r) => r.jobs.map((j) => `${j.id}:${j.status}`)),
      [["a:running", "b:running"], ["a:succeeded"], []],
    );
    assert.equal(sent[0]!.instance, "gateway@test");
    assert.equal(sent[0]!.at, 42);
  });

  it("lists at most the contract's limit, the oldest first", () => {
    const sent: JobsReportPayload[] = [];
    const many = Array.from({ length: JOBS_REPORT_LIMIT + 50 }, (_, i) => job(`j${i}`, 1000 - i));
    new JobsReport(
      () => many,
      (r) => sent.push(r),
      "g",
    ).tick();
    assert.equal(sent[0]!.jobs.length, JOBS_REPORT_LIMIT);
    assert.equal(sent[0]!.jobs[0]!.id, `j${JOBS_REPORT_LIMIT + 49}`);
  });

  it("a send that throws (not connected) does not stop the next report", () => {
    let calls = 0;
    const report = new JobsReport(
      () => [job("a", 1)],
      () => {
        calls++;
        throw new Error("not connected");
      },
      "g",
    );
    report.tick();
    report.tick();
    assert.equal(calls, 2);
  });
});
