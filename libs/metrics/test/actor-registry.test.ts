import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { Gauge } from "prom-client";
import { MetricsReport } from "#contracts";
import { createActorRegistry, EVENT_LOOP_SAMPLE_MS, metricsJsonOf } from "#metrics";

/** Voluntary context switches of this process so far, all threads: how often it went to sleep and woke. */
function wakeups(): number {
  let total = 0;
  for (const task of readdirSync("/proc/self/task")) {
    const status = readFileSync(`/proc/self/task/${task}/status`, "utf8");
    total += Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0);
  }
  return total;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("a process's own metrics", () => {
  it("include the event loop's lag", async () => {
    const registry = createActorRegistry("gateway", "gateway@test", { processMetrics: true });
    await sleep(2 * EVENT_LOOP_SAMPLE_MS);
    const names = (await metricsJsonOf(registry)).map((metric) => metric.name);
    assert.ok(names.includes("nodejs_eventloop_lag_p99_seconds"), names.join(", "));
    assert.ok(names.includes("nodejs_eventloop_utilization_ratio"), names.join(", "));
    assert.ok(names.includes("process_cpu_seconds_total"));
  });

  it(
    "do not wake an idle process more than a few times a second (prom-client samples the event loop every 10 ms by default)",
    { skip: existsSync("/proc/self/task") ? false : "needs Linux's /proc to count wake-ups" },
    async () => {
      createActorRegistry("scheduler", "scheduler@test", { processMetrics: true });
      await sleep(200);
      const before = wakeups();
      await sleep(2000);
      const perSecond = (wakeups() - before) / 2;
      // Sampling every 10 ms, as prom-client does by default, costs about 100 a second; every 100 ms, 10.
      assert.ok(perSecond < 5, `${perSecond} wake-ups a second while idle`);
    },
  );

  it("measure how busy the event loop was since the last collection, with no timer", async () => {
    const registry = createActorRegistry("gateway", "gateway@busy", { processMetrics: true });
    const utilization = async () =>
      (await metricsJsonOf(registry)).find((m) => m.name === "nodejs_eventloop_utilization_ratio")!.values[0]!.value;
    await utilization();
    const until = performance.now() + 300;
    while (performance.now() < until); // the loop busy for 300 ms
    const busy = await utilization();
    assert.ok(busy > 0.8, `utilization ${busy} after 300 ms of busy loop`);
    await sleep(300);
    const idle = await utilization();
    assert.ok(idle < 0.5, `utilization ${idle} after 300 ms asleep`);
  });

  it("leave out values JSON cannot carry, so a report with one still passes the contract", async () => {
    const registry = createActorRegistry("scheduler", "scheduler@nan", { processMetrics: true });
    const gauge = new Gauge({ name: "test_ratio", help: "a ratio of nothing", registers: [registry.registry] });
    gauge.set(NaN);
    new Gauge({ name: "test_ok", help: "a number", registers: [registry.registry] }).set(2);
    const metrics = await metricsJsonOf(registry);
    assert.deepEqual(metrics.find((m) => m.name === "test_ratio")!.values, []);
    assert.equal(metrics.find((m) => m.name === "test_ok")!.values[0]!.value, 2);
    const report = { actor: "scheduler", instance: "scheduler@nan", at: 1, intervalMs: 1000, metrics };
    const parsed = MetricsReport.schema.safeParse(JSON.parse(JSON.stringify(report)));
    assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
  });
});
