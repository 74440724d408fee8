import "reflect-metadata";
import { loadConfigOrExit, schedulerConfigSchema } from "#config";
import { installProcessGuards, natsReadiness, startConfiguredHealthServer } from "#lifecycle";
import { createLogger, logReady } from "#logging";
import { controlPlaneProcessName, createActorRegistry } from "#metrics";
import { ContractBus, natsEndpointOf, createContractMicroservice, reportMetrics } from "#transport";
import { startTracing, stopTracing, tracingOptionsOf } from "#tracing";
import { SCHEDULER_CONTRACTS } from "./scheduler.controller.js";
import { SchedulerModule } from "./scheduler.module.js";

const config = loadConfigOrExit(schedulerConfigSchema);
const log = createLogger("scheduler", config.LOG_LEVEL);
startTracing(tracingOptionsOf("scheduler", config, controlPlaneProcessName("scheduler"), log));
const bus = await ContractBus.connect(natsEndpointOf(config), "scheduler", log);
const metrics = createActorRegistry("scheduler", controlPlaneProcessName("scheduler"), { processMetrics: true });
const app = await createContractMicroservice(SchedulerModule.forRoot(config, log, bus, metrics), {
  bus,
  contracts: SCHEDULER_CONTRACTS,
  log,
});
const reporter = reportMetrics(bus, metrics, config.METRICS_REPORT_MS, log);
let listening = false;
const connected = natsReadiness(bus.nc);
const health = await startConfiguredHealthServer(config, { log, ready: () => listening && connected() });
installProcessGuards(log, async () => {
  await health?.close();
  reporter.stop();
  await app.close();
  // The last counts (moves and decisions of the shutdown) before the bus goes.
  if (config.METRICS_REPORT_MS > 0) await reporter.reportNow();
  await bus.drain();
  await stopTracing();
});
await app.listen();
listening = true;
logReady(log, { nats: config.NATS_URL, policy: config.PAIRING_POLICY });
