import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from "@nestjs/common";
import type { GatewayConfig } from "#config";
import {
  controlPlaneProcessName,
  createActorRegistry,
  gatewayMetrics,
  type ActorRegistry,
  type GatewayMetrics,
  type MetricsReporter,
} from "#metrics";
import { reportMetrics, type ContractBus } from "#transport";
import { GATEWAY_CONFIG, WORKER_BUS } from "../tokens.js";

/**
 * This gateway process's metrics (libs/metrics `gatewayMetrics`), sent on the bus every
 * METRICS_REPORT_MS from the moment the application is up; a last report goes out at shutdown so
 * the final counts are not lost. The gateway serves no `/metrics` itself: the dashboard gathers
 * every process's reports into one.
 */
@Injectable()
export class GatewayMeters implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly actorRegistry: ActorRegistry = createActorRegistry("gateway", controlPlaneProcessName("gateway"), {
    processMetrics: true,
  });
  readonly metrics: GatewayMetrics = gatewayMetrics(this.actorRegistry);
  private reporter: MetricsReporter | null = null;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(WORKER_BUS) private readonly bus: ContractBus,
  ) {}

  onApplicationBootstrap(): void {
    this.reporter = reportMetrics(this.bus, this.actorRegistry, this.config.METRICS_REPORT_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    const reporter = this.reporter;
    this.reporter = null;
    if (!reporter) return;
    reporter.stop();
    if (this.config.METRICS_REPORT_MS > 0) await reporter.reportNow();
  }
}
