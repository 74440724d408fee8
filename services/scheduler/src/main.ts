import "reflect-metadata";
import { NestFactory } from "@nestjs/core";
import { loadConfigOrExit, schedulerConfigSchema } from "#config";
import { createLogger, logReady, NestPinoLogger } from "#logging";
import { connectNats, ContractBus, installProcessGuards, natsServerOptions } from "#transport";
import { FleetViewService } from "./fleet-view.service.js";
import { SchedulerModule } from "./scheduler.module.js";

const config = loadConfigOrExit(schedulerConfigSchema);
const log = createLogger("scheduler", config.LOG_LEVEL);
const nc = await connectNats(config.NATS_URL, "scheduler-workers", log);
const bus = new ContractBus(nc, log);
const app = await NestFactory.createMicroservice(SchedulerModule.forRoot(config, log, bus), {
  ...natsServerOptions(config.NATS_URL, "scheduler"),
  logger: new NestPinoLogger(log),
});
installProcessGuards(log, async () => {
  await app.close();
  await nc.drain();
});
await app.listen();
await app.get(FleetViewService).refresh();
logReady(log, { nats: config.NATS_URL, policy: config.PAIRING_POLICY });
