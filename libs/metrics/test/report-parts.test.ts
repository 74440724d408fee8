import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Gauge } from "prom-client";
import {
  createActorRegistry,
  IDLE_REPORT_INTERVALS,
  FleetMetricsGatherer,
  metricsJsonOf,
  MetricsReporter,
  registryMetrics,
  splitMetrics,
} from "#metrics";
import type { MetricsReportPayload } from "#metrics";

/** A registry like the real one's at a fleet of `workers`: a few gauges per worker. */
function fleetRegistry(workers: number) {
  const actorRegistry = createActorRegistry("registry", "registry@test", { processMetrics: false });
  const gauges = registryMetrics(actorRegistry);
  for (let i = 0; i < workers; i++) {
    const worker = `sim-d${i}`;
    gauges.workerState.set({ worker, role: "drafter", state: "ready" }, 1);
    gauges.workerActiveSessions.set({ worker, role: "drafter" }, i % 4);
    gauges.workerMaxSessions.set({ worker, role: "drafter" }, 4);
    gauges.workerTokensPerSecond.set({ worker, role: "drafter" }, i);
    gauges.workerBrokerRtt.set({ worker, role: "drafter" }, 0.001);
  }
  return actorRegistry;
}

describe("metrics reports in parts", () => {
  it("keeps a small registry in one part", async () => {
    const registry = fleetRegistry(3);
    assert.equal(splitMetrics(await metricsJsonOf(registry)).length, 1);
  });

  it("cuts a 2,000-worker registry into parts under the limit, cutting one metric between its values", async () => {
    const metrics = await metricsJsonOf(fleetRegistry(2000));
    const parts = splitMetrics(metrics, 64 * 1024);
    assert.ok(parts.length > 5, `${parts.length} parts`);
    for (const part of parts) assert.ok(JSON.stringify(part).length <= 64 * 1024 * 1.05, "a part over the limit");
    const values = (ps: typeof parts) => ps.flat().reduce((n, m) => n + m.values.length, 0);
    assert.equal(values(parts), values([metrics]));
  });

  it("sends every part and the gatherer renders the whole registry once all parts are in", async () => {
    const registry = fleetRegistry(2000);
    const sent: MetricsReportPayload[] = [];
    await new MetricsReporter(registry, 1000, (report) => sent.push(report)).reportNow();
    assert.ok(sent.length > 1, "a 2,000-worker registry must not fit one part");
    assert.ok(
      sent.every((r) => JSON.stringify(r).length < 1024 * 1024),
      "every part fits a NATS message",
    );

    const gatherer = new FleetMetricsGatherer(createActorRegistry("dashboard", "dash", { processMetrics: false }));
    for (const part of sent.slice(0, -1)) gatherer.add(part);
    assert.doesNotMatch(await gatherer.render(), /sim-d1999/, "a report is used only once complete");
    gatherer.add(sent.at(-1)!);
    const text = await gatherer.render();
    assert.equal(text.match(/^specfleet:worker_state\{/gm)?.length, 2000);
    assert.equal(text.match(/^specfleet:worker_active_sessions\{/gm)?.length, 2000);
    assert.match(
      text,
      /specfleet:worker_tokens_per_second\{worker="sim-d1999",role="drafter",actor="registry",process="registry@test"\} 1999/,
    );
  });

  it("tells why a report could not be sent, once per reason", async () => {
    const errors: string[] = [];
    const reporter = new MetricsReporter(
      fleetRegistry(1),
      1000,
      () => {
        throw new Error("not connected");
      },
      (reason) => errors.push(reason),
    );
    await reporter.reportNow();
    await reporter.reportNow();
    assert.deepEqual(errors, ["not connected"]);
  });

  it("waits twenty times what a costly report took before the next, and says so in the report", async () => {
    const actorRegistry = createActorRegistry("registry", "registry@test", { processMetrics: false });
    let collectMs = 0;
    new Gauge({
      name: "test_slow_gauge",
      help: "takes collectMs to collect",
      registers: [actorRegistry.registry],
      collect() {
        const until = performance.now() + collectMs;
        while (performance.now() < until);
        this.set(1);
      },
    });
    const sent: MetricsReportPayload[] = [];
    const reporter = new MetricsReporter(actorRegistry, 100, (report) => sent.push(report));
    await reporter.reportNow();
    // The longest wait a report announces is an idle process's: IDLE_REPORT_INTERVALS intervals.
    assert.equal(sent.at(-1)!.intervalMs, IDLE_REPORT_INTERVALS * 100, "a cheap report keeps the interval");
    collectMs = 30;
    await reporter.reportNow(); // costly: at least 30 ms
    await reporter.reportNow(); // announces the wait the last one earned
    assert.ok(sent.at(-1)!.intervalMs >= IDLE_REPORT_INTERVALS * 600, `next report in ${sent.at(-1)!.intervalMs} ms`);
  });
});
