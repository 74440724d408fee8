import "reflect-metadata";
import { NestFactory } from "@nestjs/core";
import { loadConfigOrExit, registryConfigSchema } from "#config";
import { createLogger, logReady, NestPinoLogger } from "#logging";
import { installProcessGuards, natsServerOptions } from "#transport";
import { RegistryModule } from "./registry.module.js";

const config = loadConfigOrExit(registryConfigSchema);
const log = createLogger("registry", config.LOG_LEVEL);
const app = await NestFactory.createMicroservice(RegistryModule.forRoot(config, log), {
  ...natsServerOptions(config.NATS_URL, "registry"),
  logger: new NestPinoLogger(log),
});
installProcessGuards(log, () => app.close());
await app.listen();
logReady(log, { nats: config.NATS_URL, redis: config.REDIS_URL });
