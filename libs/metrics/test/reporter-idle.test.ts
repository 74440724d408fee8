import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Counter } from "prom-client";
import { createActorRegistry, IDLE_REPORT_INTERVALS, MetricsReporter, type MetricsReportPayload } from "#metrics";

/** A verifier-like process (its own counter beside prom-client's process and Node.js metrics) on a clock the test moves. */
function reporting(intervalMs: number) {
  const actorRegistry = createActorRegistry("verify-worker", "verifier-1", { processMetrics: true });
  const tokens = new Counter({ name: "test_tokens_total", help: "tokens", registers: [actorRegistry.registry] });
  const sent: MetricsReportPayload[] = [];
  let now = 1_000_000;
  const reporter = new MetricsReporter(
    actorRegistry,
    intervalMs,
    (report) => sent.push(report),
    undefined,
    () => now,
  );
  /** `count` intervals pass, each with the reporter's interval work; the times of the reports sent. */
  const intervals = async (count: number) => {
    const at: number[] = [];
    for (let i = 0; i < count; i++) {
      now += intervalMs;
      const before = sent.length;
      await reporter.reportIfMoved();
      if (sent.length > before) at.push(now);
    }
    return at;
  };
  return { reporter, tokens, sent, intervals, now: () => now };
}

describe("an idle process's metrics reports", () => {
  it("go once every IDLE_REPORT_INTERVALS intervals while only process and Node.js gauges move", async () => {
    const { intervals, now } = reporting(1000);
    const start = now();
    const at = await intervals(4 * IDLE_REPORT_INTERVALS);
    assert.deepEqual(
      at.map((t) => t - start),
      [1, 2, 3, 4].map((k) => (k - 1) * IDLE_REPORT_INTERVALS * 1000 + 1000),
      "the first interval reports, then one every IDLE_REPORT_INTERVALS",
    );
  });

  it("go at the next interval once an own count moves, and every interval while it keeps moving", async () => {
    const { tokens, sent, intervals } = reporting(1000);
    await intervals(2); // the first report, then idle
    const idleCount = sent.length;
    tokens.inc(5);
    assert.equal((await intervals(1)).length, 1, "a count that moved is sent at the next interval");
    for (let i = 0; i < 3; i++) {
      tokens.inc();
      assert.equal((await intervals(1)).length, 1, "busy: every interval");
    }
    assert.equal(sent.length, idleCount + 4);
    const last = sent.at(-1)!;
    const value = last.metrics.find((m) => m.name === "test_tokens_total")!.values[0]!.value;
    assert.equal(value, 8, "the report carries the count as it is");
  });

  it("announce the longest wait, so a gatherer keeps an idle process's series between its reports", async () => {
    const { sent, intervals } = reporting(1000);
    await intervals(1);
    assert.equal(sent.at(-1)!.intervalMs, IDLE_REPORT_INTERVALS * 1000);
  });

  it("are sent at once by reportNow, idle or not (a process about to exit)", async () => {
    const { reporter, sent, intervals } = reporting(1000);
    await intervals(1);
    const before = sent.length;
    await reporter.reportNow();
    assert.equal(sent.length, before + 1);
  });
});
