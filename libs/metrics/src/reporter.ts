import type { PayloadOf, MetricsReport } from "#contracts";
import { metricsJsonOf, type ActorRegistry } from "./actor-registry.js";
import { splitMetrics } from "./report-parts.js";

export type MetricsReportPayload = PayloadOf<typeof MetricsReport>;

/**
 * Sends the process's whole registry every `intervalMs` (0: never) through `send` (the
 * process's bus publishing a `MetricsReport`). Drafters behind NAT cannot be scraped; this
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
    this.timer = setInterval(() => void this.reportNow(), this.intervalMs);
    this.timer.unref();
  }

  /** One report at once (a process about to exit sends its last counts). */
  async reportNow(): Promise<void> {
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
          intervalMs: this.intervalMs,
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
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
