import { AggregatorRegistry } from "prom-client";
import { metricsJsonOf, type ActorRegistry } from "./actor-registry.js";
import type { MetricsReportPayload } from "./reporter.js";

/** A process silent for this many of its own intervals (and at least MIN_EXPIRY_MS) is forgotten. */
const EXPIRY_INTERVALS = 3;
const MIN_EXPIRY_MS = 5000;

/**
 * The fleet's metrics in one place: the last report of every process, plus the gatherer's
 * own registry, rendered in Prometheus' text format. Each process's series carry its `actor`
 * and `process` labels, so nothing is summed across processes; a process that stops reporting
 * is dropped after a few of its intervals (its series end, as a scraped target's would).
 */
export class FleetMetricsGatherer {
  private readonly latest = new Map<string, { report: MetricsReportPayload; receivedAt: number }>();
  /** Reports still missing parts, by process: only the newest report's parts are kept. */
  private readonly partial = new Map<string, MetricsReportPayload[]>();

  constructor(
    private readonly own: ActorRegistry,
    private readonly now: () => number = Date.now,
  ) {}

  add(report: MetricsReportPayload): void {
    const key = `${report.actor}/${report.instance}`;
    if (report.parts > 1) {
      const earlier = this.partial.get(key);
      if (earlier && earlier[0]!.at > report.at) return; // a late part of a report already replaced
      const pending = earlier && earlier[0]!.at === report.at ? earlier.filter((p) => p.part !== report.part) : [];
      pending.push(report);
      if (pending.length < report.parts) {
        this.partial.set(key, pending);
        return;
      }
      this.partial.delete(key);
      report = { ...report, part: 0, parts: 1, metrics: pending.flatMap((p) => p.metrics) };
    }
    this.latest.set(key, { report, receivedAt: this.now() });
  }

  /** The reports of processes heard lately (oldest dropped first). */
  reports(): MetricsReportPayload[] {
    const now = this.now();
    for (const [key, { report, receivedAt }] of this.latest) {
      if (now - receivedAt > Math.max(MIN_EXPIRY_MS, EXPIRY_INTERVALS * report.intervalMs)) this.latest.delete(key);
    }
    return [...this.latest.values()].map((entry) => entry.report);
  }

  /** The Prometheus text exposition of every process's metrics and the gatherer's own, merged by name. */
  async render(): Promise<string> {
    const own = await metricsJsonOf(this.own);
    return AggregatorRegistry.aggregate([own, ...this.reports().map((r) => r.metrics)]).metrics();
  }

  get contentType(): string {
    return this.own.registry.contentType;
  }
}
