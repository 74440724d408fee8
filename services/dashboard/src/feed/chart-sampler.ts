import type { DashboardPoint, MetricJson } from "#contracts";
import { CounterIncrease, RollingSums, type CumulativeSample } from "./counter-increase.js";
import { histogramQuantile, type CumulativeBucket } from "./histogram-quantile.js";

/** What a chart sample needs from one process's report. */
export interface ProcessMetrics {
  actor: string;
  instance: string;
  metrics: readonly MetricJson[];
}

/** The figures of a sample that come from elsewhere than the metrics (the scheduler's insight, telemetry). */
export interface SampleContext {
  queueDepth: number;
  sessions: number;
  /** Verifiers' telemetry tokens/s summed: the throughput while no verifier reports its committed tokens. */
  telemetryTokensPerSecond: number;
}

/** TTFT, TPOT and acceptance are taken over this much time behind each sample, as `rate(…[10s])` would. */
export const QUANTILE_WINDOW_MS = 10_000;
const FIFTEEN_MINUTES_MS = 15 * 60_000;

/** Metric → the group its increase is summed into (`histogram` groups get `:<le>` per bucket). */
const COUNTERS: Record<string, string> = {
  "specfleet:committed_tokens_total": "committed",
  "specfleet:spec_decode_num_accepted_tokens_total": "accepted",
  "specfleet:spec_decode_num_draft_tokens_total": "drafted",
};
const HISTOGRAMS: Record<string, string> = {
  "specfleet:time_to_first_token_seconds": "ttft",
  "specfleet:request_time_per_output_token_seconds": "tpot",
};

/** The cumulative series a chart sample reads, from every process's last report. */
export function chartSamples(reports: Iterable<ProcessMetrics>): CumulativeSample[] {
  const samples: CumulativeSample[] = [];
  for (const report of reports) {
    const process = processOf(report);
    for (const metric of report.metrics) {
      const counter = COUNTERS[metric.name];
      const histogram = HISTOGRAMS[metric.name];
      if (counter === undefined && histogram === undefined) continue;
      for (const value of metric.values) {
        const name = value.metricName ?? metric.name;
        let group = counter;
        if (histogram !== undefined) {
          if (!name.endsWith("_bucket") || value.labels.le === undefined) continue;
          group = `${histogram}:${String(value.labels.le)}`;
        }
        samples.push({
          process,
          series: `${process}|${name}|${labelsKey(value.labels)}`,
          group: group!,
          value: value.value,
        });
      }
    }
  }
  return samples;
}

/**
 * The charts' samples: every DASHBOARD_SAMPLE_MS, one point from the increases of the fleet's
 * counters and histograms over the last 10 s (throughput, quantiles, acceptance); 15 minutes kept.
 */
export class ChartSampler {
  private readonly increase = new CounterIncrease();
  private readonly window = new RollingSums(QUANTILE_WINDOW_MS);
  private readonly points: DashboardPoint[] = [];
  private firstAt: number | null = null;

  constructor(private readonly sampleMs: number) {}

  sample(at: number, reports: readonly ProcessMetrics[], context: SampleContext): DashboardPoint {
    const processes = new Set(reports.map((r) => processOf(r)));
    const sums = this.increase.increase(processes, chartSamples(reports));
    this.window.add(at, sums);
    const totals = this.window.totals();
    this.firstAt ??= at;
    // Over the window, or over what was watched of it: reports and samples are not in step, so one sample's increase swings.
    const seconds = Math.max(this.sampleMs, Math.min(QUANTILE_WINDOW_MS, at - this.firstAt)) / 1000;
    const committed = sums.has("committed") ? (totals.get("committed") ?? 0) : undefined;
    const drafted = totals.get("drafted") ?? 0;
    const ms = (seconds: number | null) => (seconds === null ? null : seconds * 1000);
    const point: DashboardPoint = {
      at,
      throughput: committed === undefined ? context.telemetryTokensPerSecond : committed / seconds,
      ttftP50Ms: ms(quantileOf(totals, "ttft", 0.5)),
      ttftP95Ms: ms(quantileOf(totals, "ttft", 0.95)),
      tpotP50Ms: ms(quantileOf(totals, "tpot", 0.5)),
      tpotP95Ms: ms(quantileOf(totals, "tpot", 0.95)),
      acceptance: drafted > 0 ? Math.min(1, (totals.get("accepted") ?? 0) / drafted) : null,
      queueDepth: context.queueDepth,
      sessions: context.sessions,
    };
    this.points.push(point);
    const kept = Math.ceil(FIFTEEN_MINUTES_MS / this.sampleMs);
    if (this.points.length > kept) this.points.splice(0, this.points.length - kept);
    return point;
  }

  /** Oldest first. */
  series(): DashboardPoint[] {
    return [...this.points];
  }
}

/** The φ-quantile of a histogram group's buckets summed over the window (models and processes together). */
function quantileOf(totals: Map<string, number>, histogram: string, phi: number): number | null {
  const buckets: CumulativeBucket[] = [];
  const prefix = `${histogram}:`;
  for (const [group, count] of totals) {
    if (!group.startsWith(prefix)) continue;
    const le = group.slice(prefix.length);
    buckets.push({ le: le === "+Inf" ? Infinity : Number(le), count });
  }
  return histogramQuantile(phi, buckets);
}

function processOf(report: ProcessMetrics): string {
  return `${report.actor}/${report.instance}`;
}

function labelsKey(labels: Record<string, string | number>): string {
  return Object.keys(labels)
    .sort()
    .map((key) => `${key}=${labels[key]}`)
    .join(",");
}
