import type { PayloadOf, MetricsReport } from "#contracts";
import { metricsJsonOf, type ActorRegistry } from "./actor-registry.js";
import { splitMetrics } from "./report-parts.js";

export type MetricsReportPayload = PayloadOf<typeof MetricsReport>;

/**
 * Sends the process's whole registry every `intervalMs` (0: never; longer when a report is
 * costly) through `send` (the process's bus publishing a `MetricsReport`). Drafters behind NAT cannot be scraped; this
 * way every process's series reach one `/metrics` (the dashboard's `FleetMetricsGatherer`).
 */
export class MetricsReporter {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly actorRegistry: ActorRegistry,
    private readonly intervalMs: number,
    private readonly send: (report: MetricsReportPayload) => void,
    /** A report that could not be sent (told once per distinct reason, not every interval). */
    private readonly onError: (reason: string) => void = () => {},
  ) {}

  private lastError = "";

  start(): void {
    if (this.intervalMs <= 0 || this.timer) return;
    this.schedule();
  }

  /**
   * The next report in `intervalMs`, or later when reports grow costly (a registry's gauges for
   * 20,000 workers): a report takes at most a twentieth of the process's time.
   */
  private schedule(): void {
    this.timer = setTimeout(() => {
      void this.reportNow().finally(() => {
        if (this.timer) this.schedule();
      });
    }, this.nextIntervalMs);
    this.timer.unref();
  }

  /** How long until the next report: `intervalMs`, or twenty times what the last one took. */
  private get nextIntervalMs(): number {
    return Math.max(this.intervalMs, Math.ceil(20 * this.lastCostMs));
  }

  private lastCostMs = 0;

  /** One report at once (a process about to exit sends its last counts). */
  async reportNow(): Promise<void> {
    const started = performance.now();
    try {
      await this.report();
    } finally {
      this.lastCostMs = performance.now() - started;
    }
  }

  private async report(): Promise<void> {
    const { actor, process } = this.actorRegistry;
    const metrics = await metricsJsonOf(this.actorRegistry);
    const parts = splitMetrics(metrics);
    const at = Date.now();
    try {
      parts.forEach((part, i) =>
        this.send({
          actor,
          instance: process,
          at,
          // When the next report comes (the gatherer keeps these series a few intervals).
          intervalMs: this.nextIntervalMs,
          part: i,
          parts: parts.length,
          metrics: part,
        }),
      );
      this.lastError = "";
    } catch (error) {
      // Not connected right now, say: the next interval sends the counts again (they are cumulative).
      const reason = error instanceof Error ? error.message : String(error);
      if (reason !== this.lastError) this.onError(reason);
      this.lastError = reason;
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
