import "reflect-metadata";
import { loadConfigOrExit, schedulerConfigSchema } from "#config";
import { installProcessGuards } from "#lifecycle";
import { createLogger, logReady } from "#logging";
import { ContractBus, createContractMicroservice } from "#transport";
import { SCHEDULER_CONTRACTS } from "./scheduler.controller.js";
import { SchedulerModule } from "./scheduler.module.js";

const config = loadConfigOrExit(schedulerConfigSchema);
const log = createLogger("scheduler", config.LOG_LEVEL);
const bus = await ContractBus.connect(config.NATS_URL, "scheduler", log);
const app = await createContractMicroservice(SchedulerModule.forRoot(config, log, bus), {
  bus,
  contracts: SCHEDULER_CONTRACTS,
  log,
});
installProcessGuards(log, async () => {
  await app.close();
  await bus.drain();
});
await app.listen();
logReady(log, { nats: config.NATS_URL, policy: config.PAIRING_POLICY });
