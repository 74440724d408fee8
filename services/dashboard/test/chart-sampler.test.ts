import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MetricJson } from "#contracts";
import { ChartSampler, type ProcessMetrics } from "../src/feed/chart-sampler.js";
import { CounterIncrease, RollingSums } from "../src/feed/counter-increase.js";

const counter = (name: string, value: number, labels: Record<string, string> = {}): MetricJson => ({
  name,
  help: "",
  type: "counter",
  aggregator: "sum",
  values: [{ value, labels }],
});

/** A TTFT histogram with buckets 0.1, 0.5, +Inf holding `counts` (cumulative). */
const ttft = (counts: [number, number, number]): MetricJson => ({
  name: "specfleet:time_to_first_token_seconds",
  help: "",
  type: "histogram",
  aggregator: "sum",
  values: [
    ...([0.1, 0.5, "+Inf"] as const).map((le, i) => ({
      value: counts[i]!,
      labels: { le, model: "m" },
      metricName: "specfleet:time_to_first_token_seconds_bucket",
    })),
    { value: counts[2], labels: { model: "m" }, metricName: "specfleet:time_to_first_token_seconds_count" },
  ],
});

const verifier = (committed: number, accepted: number, drafted: number): ProcessMetrics => ({
  actor: "verify-worker",
  instance: "v1",
  metrics: [
    counter("specfleet:committed_tokens_total", committed, { drafter: "d1" }),
    counter("specfleet:spec_decode_num_accepted_tokens_total", accepted, { drafter: "d1" }),
    counter("specfleet:spec_decode_num_draft_tokens_total", drafted, { drafter: "d1" }),
  ],
});
const gateway = (metrics: MetricJson[]): ProcessMetrics => ({ actor: "gateway", instance: "g", metrics });
const context = { queueDepth: 2, sessions: 3, telemetryTokensPerSecond: 7 };

void describe("CounterIncrease", () => {
  const samples = (value: number, series = "s") => [{ process: "p", series, group: "g", value }];
  const p = new Set(["p"]);

  void it("counts nothing for a process seen for the first time, then the increase", () => {
    const inc = new CounterIncrease();
    assert.equal(inc.increase(p, samples(100)).get("g"), 0);
    assert.equal(inc.increase(p, samples(130)).get("g"), 30);
  });

  void it("counts a reset series' whole new value (a restarted process)", () => {
    const inc = new CounterIncrease();
    inc.increase(p, samples(100));
    assert.equal(inc.increase(p, samples(5)).get("g"), 5);
  });

  void it("counts a new series of a known process whole (a labelled series appears with its first observation)", () => {
    const inc = new CounterIncrease();
    inc.increase(p, []);
    assert.equal(inc.increase(p, samples(4, "new")).get("g"), 4);
  });
});

void describe("RollingSums", () => {
  void it("sums the groups over the window only", () => {
    const sums = new RollingSums(10_000);
    sums.add(0, new Map([["a", 1]]));
    sums.add(5000, new Map([["a", 2]]));
    sums.add(10_000, new Map([["a", 4]]));
    assert.equal(sums.totals().get("a"), 6, "the sample at 0 is 10 s old: out");
  });
});

void describe("ChartSampler", () => {
  void it("throughput and acceptance from the verifiers' counters, TTFT quantiles from the gateways' buckets", () => {
    const sampler = new ChartSampler(1000);
    sampler.sample(0, [verifier(1000, 500, 800), gateway([ttft([0, 0, 0])])], context);
    sampler.sample(1000, [verifier(1040, 530, 840), gateway([ttft([2, 4, 4])])], context);
    const point = sampler.sample(2000, [verifier(1080, 560, 880), gateway([ttft([2, 4, 4])])], context);
    // 80 committed over the 2 s watched (less than the 10 s window).
    assert.equal(point.throughput, 40);
    assert.equal(point.acceptance, 60 / 80);
    // 4 observations: 2 ≤ 0.1 s, 2 in (0.1, 0.5]; the median is the first bucket's bound, p95 interpolated.
    assert.equal(point.ttftP50Ms, 100);
    assert.ok(Math.abs(point.ttftP95Ms! - (100 + 400 * 0.9)) < 1e-9);
    assert.equal(point.tpotP50Ms, null, "no TPOT observed");
    assert.equal(point.queueDepth, 2);
    assert.equal(point.sessions, 3);
    assert.equal(sampler.series().length, 3);
  });

  void it("falls back to the verifiers' telemetry for throughput while none reports its committed tokens", () => {
    const sampler = new ChartSampler(1000);
    const point = sampler.sample(0, [gateway([])], context);
    assert.equal(point.throughput, 7);
    assert.equal(point.acceptance, null);
  });

  void it("keeps 15 minutes of points", () => {
    const sampler = new ChartSampler(60_000);
    for (let i = 0; i < 20; i++) sampler.sample(i * 60_000, [], context);
    assert.equal(sampler.series().length, 15);
    assert.equal(sampler.series()[0]!.at, 5 * 60_000);
  });
});
