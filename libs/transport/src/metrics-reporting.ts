import { MetricsReport } from "#contracts";
import type { Logger } from "#logging";
import { MetricsReporter, type ActorRegistry } from "#metrics";
import type { ContractBus } from "./bus.js";

/**
 * Starts sending the process's metrics on its bus every `intervalMs` (0: never): the one way
 * every actor reports (libs/metrics `MetricsReporter`, gathered by the dashboard's `/metrics`).
 * A report that cannot be sent is logged once per reason (not every interval).
 */
export function reportMetrics(
  bus: ContractBus,
  actorRegistry: ActorRegistry,
  intervalMs: number,
  log?: Logger,
): MetricsReporter {
  const reporter = new MetricsReporter(
    actorRegistry,
    intervalMs,
    (report) => bus.publish(MetricsReport, "", report),
    (reason) => log?.warn({ reason }, "could not send the metrics report; the next interval tries again"),
  );
  reporter.start();
  return reporter;
}
