import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DecisionStats,
  LATENCY_WINDOW_MS,
  MAX_SAMPLES,
  RATE_WINDOW_MS,
  percentile,
} from "../src/insight/decision-stats.js";

describe("DecisionStats (a fake clock)", () => {
  it("before any decision: nothing counted, no percentiles", () => {
    assert.deepEqual(new DecisionStats().summary(1_000), {
      total: 0,
      perSecond: 0,
      p50Ms: null,
      p95Ms: null,
      p99Ms: null,
    });
  });

  it("counts the rate over the last 10 s and the percentiles over the last minute", () => {
    const stats = new DecisionStats();
    // 100 decisions of 1..100 ms, one every 500 ms from t = 0: the last at 49.5 s.
    for (let i = 0; i < 100; i++) stats.record(i * 500, i + 1);
    const now = 50_000;
    const summary = stats.summary(now);
    assert.equal(summary.total, 100);
    // Within (40 s, 50 s]: the decisions at 40.5 .. 49.5 s, 19 of them.
    assert.equal(summary.perSecond, 19 / (RATE_WINDOW_MS / 1000));
    // All 100 are within the minute: nearest rank of 1..100.
    assert.equal(summary.p50Ms, 50);
    assert.equal(summary.p95Ms, 95);
    assert.equal(summary.p99Ms, 99);
  });

  it("forgets latencies older than a minute but keeps the total", () => {
    const stats = new DecisionStats();
    stats.record(0, 1000); // a slow one, long ago
    for (let i = 1; i <= 10; i++) stats.record(LATENCY_WINDOW_MS + i * 100, 2);
    const summary = stats.summary(LATENCY_WINDOW_MS + 1_000);
    assert.equal(summary.total, 11);
    assert.equal(summary.p99Ms, 2, "the slow decision a minute ago no longer counts");
    assert.equal(summary.perSecond, 10 / (RATE_WINDOW_MS / 1000));
    // A minute of silence later: no latencies, no rate, the total stays.
    const later = stats.summary(3 * LATENCY_WINDOW_MS);
    assert.deepEqual([later.total, later.perSecond, later.p50Ms], [11, 0, null]);
  });

  it("keeps at most MAX_SAMPLES latencies (the oldest go first)", () => {
    const stats = new DecisionStats();
    for (let i = 0; i < MAX_SAMPLES; i++) stats.record(1_000, 100);
    for (let i = 0; i < MAX_SAMPLES; i++) stats.record(1_000, 1);
    const summary = stats.summary(1_000);
    assert.equal(summary.total, 2 * MAX_SAMPLES);
    assert.equal(summary.p99Ms, 1, "only the newest MAX_SAMPLES latencies remain");
  });

  it("percentile: nearest rank", () => {
    const cases: Array<[number[], number, number | null]> = [
      [[], 0.5, null],
      [[7], 0.99, 7],
      [[1, 2, 3, 4], 0.5, 2],
      [[1, 2, 3, 4], 0.75, 3],
      [[1, 2, 3, 4], 0.99, 4],
    ];
    for (const [sorted, q, expected] of cases) assert.equal(percentile(sorted, q), expected, `${q} of ${sorted}`);
  });
});
