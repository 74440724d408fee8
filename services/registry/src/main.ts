import "reflect-metadata";
import { loadConfigOrExit, registryConfigSchema } from "#config";
import { installProcessGuards, natsReadiness, startConfiguredHealthServer } from "#lifecycle";
import { createLogger, logReady } from "#logging";
import { controlPlaneProcessName, createActorRegistry, registryMetrics } from "#metrics";
import { ContractBus, natsEndpointOf, createContractMicroservice, reportMetrics } from "#transport";
import { startTracing, stopTracing, tracingOptionsOf } from "#tracing";
import { CREDENTIAL_CONTRACTS } from "./credentials/credentials.controller.js";
import { REGISTRY_CONTRACTS } from "./fleet.controller.js";
import { RegistryModule } from "./registry.module.js";

const config = loadConfigOrExit(registryConfigSchema);
const log = createLogger("registry", config.LOG_LEVEL);
startTracing(tracingOptionsOf("registry", config, controlPlaneProcessName("registry"), log));
const bus = await ContractBus.connect(natsEndpointOf(config), "registry", log);
const actorRegistry = createActorRegistry("registry", controlPlaneProcessName("registry"), { processMetrics: true });
const metrics = registryMetrics(actorRegistry);
const app = await createContractMicroservice(RegistryModule.forRoot(config, log, bus, metrics), {
  bus,
  contracts: [...REGISTRY_CONTRACTS, ...CREDENTIAL_CONTRACTS],
  log,
});
const reporter = reportMetrics(bus, actorRegistry, config.METRICS_REPORT_MS, log);
let listening = false;
const connected = natsReadiness(bus.nc);
const health = await startConfiguredHealthServer(config, { log, ready: () => listening && connected() });
installProcessGuards(log, async () => {
  await health?.close();
  reporter.stop();
  await app.close();
  await bus.drain();
  await stopTracing();
});
await app.listen();
listening = true;
logReady(log, { nats: config.NATS_URL, redis: config.REDIS_URL });
