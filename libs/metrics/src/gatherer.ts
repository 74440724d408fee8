import { AggregatorRegistry } from "prom-client";
import type { MetricJson } from "#contracts";
import type { ActorRegistry } from "./actor-registry.js";
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

  constructor(
    private readonly own: ActorRegistry,
    private readonly now: () => number = Date.now,
  ) {}

  add(report: MetricsReportPayload): void {
    this.latest.set(`${report.actor}/${report.instance}`, { report, receivedAt: this.now() });
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
    const own = (await this.own.registry.getMetricsAsJSON()) as unknown as MetricJson[];
    return AggregatorRegistry.aggregate([own, ...this.reports().map((r) => r.metrics)]).metrics();
  }

  get contentType(): string {
    return this.own.registry.contentType;
  }
}
