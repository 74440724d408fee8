import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
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
    assert.ok(names.includes("process_cpu_seconds_total"));
  });

  it(
    "do not wake an idle process 100 times a second (prom-client's default sampling of the event loop)",
    { skip: existsSync("/proc/self/task") ? false : "needs Linux's /proc to count wake-ups" },
    async () => {
      createActorRegistry("scheduler", "scheduler@test", { processMetrics: true });
      await sleep(200);
      const before = wakeups();
      await sleep(2000);
      const perSecond = (wakeups() - before) / 2;
      // Sampling every 10 ms, as prom-client does by default, costs about 100 a second.
      assert.ok(perSecond < 40, `${perSecond} wake-ups a second while idle`);
    },
  );
});
