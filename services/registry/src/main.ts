import "reflect-metadata";
import { loadConfigOrExit, registryConfigSchema } from "#config";
import { installProcessGuards } from "#lifecycle";
import { createLogger, logReady } from "#logging";
import { ContractBus, createContractMicroservice } from "#transport";
import { REGISTRY_CONTRACTS } from "./fleet.controller.js";
import { RegistryModule } from "./registry.module.js";

const config = loadConfigOrExit(registryConfigSchema);
const log = createLogger("registry", config.LOG_LEVEL);
const bus = await ContractBus.connect(config.NATS_URL, "registry", log);
const app = await createContractMicroservice(RegistryModule.forRoot(config, log, bus), {
  bus,
  contracts: REGISTRY_CONTRACTS,
  log,
});
installProcessGuards(log, async () => {
  await app.close();
  await bus.drain();
});
await app.listen();
logReady(log, { nats: config.NATS_URL, redis: config.REDIS_URL });
