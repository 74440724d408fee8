import { MetricsReport } from "#contracts";
import { MetricsReporter, type ActorRegistry } from "#metrics";
import type { ContractBus } from "./bus.js";

/**
 * Starts sending the process's metrics on its bus every `intervalMs` (0: never): the one way
 * every actor reports (libs/metrics `MetricsReporter`, gathered by the dashboard's `/metrics`).
 */
export function reportMetrics(bus: ContractBus, actorRegistry: ActorRegistry, intervalMs: number): MetricsReporter {
  const reporter = new MetricsReporter(actorRegistry, intervalMs, (report) => bus.publish(MetricsReport, "", report));
  reporter.start();
  return reporter;
}
