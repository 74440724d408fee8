import type { PayloadOf, MetricsReport } from "#contracts";
import { ownMetricsJsonOf, runtimeMetricsJsonOf, type ActorRegistry } from "./actor-registry.js";
import { splitMetrics } from "./report-parts.js";

export type MetricsReportPayload = PayloadOf<typeof MetricsReport>;

/**
 * While a process is idle (none of its own series moved), it reports once every this many
 * intervals instead of every one: an idle fleet's reports each woke NATS and the dashboard, and on
 * a machine a model worker fills each wake-up holds up a forward pass (docs/metrics.md).
 */
export const IDLE_REPORT_INTERVALS = 5;

/**
 * Sends the process's whole registry every `intervalMs` (0: never; longer when a report is
 * costly) through `send` (the process's bus publishing a `MetricsReport`). Drafters behind NAT cannot be scraped; this
 * way every process's series reach one `/metrics` (the dashboard's `FleetMetricsGatherer`).
 * A report whose own series (`ActorRegistry.registry`; not the runtime's) are the same as the
 * last one sent is held back, up to IDLE_REPORT_INTERVALS intervals: the first count that moves
 * goes out at the next interval, so the dashboard's charts lag no more than before.
 */
export class MetricsReporter {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly actorRegistry: ActorRegistry,
    private readonly intervalMs: number,
    private readonly send: (report: MetricsReportPayload) => void,
    /** A report that could not be sent (told once per distinct reason, not every interval). */
    private readonly onError: (reason: string) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  private lastError = "";
  /** The own series of the last report sent, and when it went: what an idle interval compares with. */
  private lastSent: { activity: string; at: number } | null = null;

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
      void this.reportIfMoved().finally(() => {
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

  /** One report at once, idle or not (a process about to exit sends its last counts). */
  async reportNow(): Promise<void> {
    await this.report(true);
  }

  /** An interval's report: held back while the process is idle, up to IDLE_REPORT_INTERVALS intervals. */
  async reportIfMoved(): Promise<void> {
    await this.report(false);
  }

  private async report(force: boolean): Promise<void> {
    const started = performance.now();
    try {
      await this.collectAndSend(force);
    } finally {
      this.lastCostMs = performance.now() - started;
    }
  }

  private async collectAndSend(force: boolean): Promise<void> {
    const { actor, process } = this.actorRegistry;
    const own = await ownMetricsJsonOf(this.actorRegistry);
    const at = this.now();
    const activity = JSON.stringify(own);
    const idleFor = this.lastSent && this.lastSent.activity === activity ? at - this.lastSent.at : null;
    if (!force && idleFor !== null && idleFor + this.nextIntervalMs <= this.idleIntervalMs) return;
    // The runtime's metrics cover the time since the last report sent (its histograms restart when read).
    const parts = splitMetrics([...own, ...(await runtimeMetricsJsonOf(this.actorRegistry))]);
    try {
      parts.forEach((part, i) =>
        this.send({
          actor,
          instance: process,
          at,
          // The longest until the next report (the gatherer keeps these series a few of them).
          intervalMs: this.idleIntervalMs,
          part: i,
          parts: parts.length,
          metrics: part,
        }),
      );
      this.lastError = "";
      this.lastSent = { activity, at };
    } catch (error) {
      // Not connected right now, say: the next interval sends the counts again (they are cumulative).
      const reason = error instanceof Error ? error.message : String(error);
      if (reason !== this.lastError) this.onError(reason);
      this.lastError = reason;
    }
  }

  /** The longest between two reports: an idle process's interval. */
  private get idleIntervalMs(): number {
    return IDLE_REPORT_INTERVALS * this.nextIntervalMs;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
