import "reflect-metadata";
import { NestFactory } from "@nestjs/core";
import type { NestExpressApplication } from "@nestjs/platform-express";
import { gatewayConfigSchema, loadConfigOrExit } from "#config";
import { createLogger, logReady, NestPinoLogger } from "#logging";
import { installProcessGuards } from "#lifecycle";
import { ContractBus, natsEndpointOf } from "#transport";
import { controlPlaneProcessName } from "#metrics";
import { startTracing, stopTracing, tracingOptionsOf } from "#tracing";
import { bodyParsing } from "#http";
import { EdgeExpressAdapter, edgeLimitsOf } from "./http/edge-server.js";
import { gatewayHttpMetrics } from "./http/http-metrics.js";
import { completionSpans } from "./http/completion-spans.js";
import { GatewayModule } from "./gateway.module.js";

const config = loadConfigOrExit(gatewayConfigSchema);
const log = createLogger("gateway", config.LOG_LEVEL);
startTracing(tracingOptionsOf("gateway", config, controlPlaneProcessName("gateway"), log));
const bus = await ContractBus.connect(natsEndpointOf(config), "gateway", log);
const app = await NestFactory.create<NestExpressApplication>(
  GatewayModule.forRoot(config, log, bus),
  new EdgeExpressAdapter(edgeLimitsOf(config)),
  { logger: new NestPinoLogger(log), bodyParser: false },
);
// First: every answer is counted, a body refused before routing too.
app.use(gatewayHttpMetrics(app));
// A job holds many requests: its body may be larger than one request's (read once; the general parser skips it).
app.use("/v1/jobs", ...bodyParsing(config.JOBS_BODY_LIMIT));
app.use(...bodyParsing(config.GATEWAY_BODY_LIMIT));
// After the body is read (its model names the span), before the routes: a completion's messages join its trace.
app.use(completionSpans());
installProcessGuards(log, async () => {
  await app.close();
  await bus.drain();
  await stopTracing();
});
await app.listen(config.GATEWAY_PORT, config.GATEWAY_HOST);
const url = await app.getUrl();
logReady(log, { url: url.replace("[::1]", "127.0.0.1") });
