import type { MetricJson, PayloadOf, MetricsReport } from "#contracts";
import type { ActorRegistry } from "./actor-registry.js";

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
  ) {}

  start(): void {
    if (this.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => void this.reportNow(), this.intervalMs);
    this.timer.unref();
  }

  /** One report at once (a process about to exit sends its last counts). */
  async reportNow(): Promise<void> {
    const { actor, process, registry } = this.actorRegistry;
    const metrics = (await registry.getMetricsAsJSON()) as unknown as MetricJson[];
    try {
      this.send({ actor, instance: process, at: Date.now(), intervalMs: this.intervalMs, metrics });
    } catch {
      // Not connected right now: the next interval sends the counts again (they are cumulative).
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
