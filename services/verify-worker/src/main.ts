import "reflect-metadata";
import { NestFactory } from "@nestjs/core";
import type { ClientProxy } from "@nestjs/microservices";
import { loadConfigOrExit, verifyWorkerConfigSchema } from "#config";
import { createLlama, createSessionContext, loadModel } from "#llama";
import { createLogger, logReady, NestPinoLogger } from "#logging";
import { connectNats, ContractBus, installProcessGuards } from "#transport";
import { Heartbeat } from "#worker";
import { CONTROL_PLANE } from "./tokens.js";
import { VerifierService } from "./verifier.service.js";
import { VerifyWorkerModule } from "./verify-worker.module.js";

const config = loadConfigOrExit(verifyWorkerConfigSchema);
const log = createLogger("verify-worker", config.LOG_LEVEL, { workerId: config.WORKER_ID });
const llama = await createLlama(config.THREADS);
const loaded = await loadModel(llama, config.MODEL_PATH, config.MODEL_NAME);
const context = await createSessionContext(loaded.model, {
  sequences: config.MAX_SESSIONS,
  contextSize: config.CONTEXT_SIZE,
  threads: config.THREADS,
});
const nc = await connectNats(config.NATS_URL, config.WORKER_ID, log);
const app = await NestFactory.createApplicationContext(
  VerifyWorkerModule.forRoot(config, log, new ContractBus(nc, log), { loaded, context }),
  { logger: new NestPinoLogger(log) },
);
const verifier = app.get(VerifierService);
const heartbeat = new Heartbeat(
  app.get<ClientProxy>(CONTROL_PLANE),
  {
    workerId: config.WORKER_ID,
    role: "verifier",
    model: { name: loaded.name, vocabFingerprint: loaded.vocabFingerprint },
    deviceClass: config.DEVICE_CLASS,
    threads: config.THREADS,
    maxSessions: config.MAX_SESSIONS,
    contextSize: context.contextSize,
    startedAt: Date.now(),
  },
  verifier.stats,
  () => verifier.activeSessions,
  config.HEARTBEAT_MS,
);
installProcessGuards(log, async () => {
  heartbeat.stop();
  await app.close();
  await nc.drain();
  await llama.dispose();
});
await app.init();
heartbeat.start();
logReady(log, { model: loaded.name, vocab: loaded.vocabFingerprint, contextSize: context.contextSize });
