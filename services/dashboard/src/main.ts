import "reflect-metadata";
import { NestFactory } from "@nestjs/core";
import type { NestExpressApplication } from "@nestjs/platform-express";
import { dashboardConfigSchema, loadConfigOrExit } from "#config";
import { installProcessGuards } from "#lifecycle";
import { createLogger, logReady, NestPinoLogger } from "#logging";
import { controlPlaneProcessName, createActorRegistry, FleetMetricsGatherer } from "#metrics";
import { ContractBus, natsEndpointOf } from "#transport";
import { DashboardAuth } from "./auth/dashboard-auth.js";
import { DashboardModule } from "./dashboard.module.js";
import { FleetFeed } from "./feed/fleet-feed.js";
import { bodyParsing } from "#http";
import { defaultUiDir, uiFiles } from "./http/ui-files.js";

const config = loadConfigOrExit(dashboardConfigSchema);
const log = createLogger("dashboard", config.LOG_LEVEL);
const bus = await ContractBus.connect(natsEndpointOf(config), "dashboard", log);
// The dashboard's own series are the gatherer's: it reports to nobody, it is where reports go.
const own = createActorRegistry("dashboard", controlPlaneProcessName("dashboard"), { processMetrics: true });
const feed = new FleetFeed(
  bus,
  new FleetMetricsGatherer(own),
  { pushMs: config.DASHBOARD_PUSH_MS, sampleMs: config.DASHBOARD_SAMPLE_MS },
  log,
);
const auth = new DashboardAuth({ admin: config.DASHBOARD_ADMIN_TOKEN, viewer: config.DASHBOARD_VIEWER_TOKEN });
const app = await NestFactory.create<NestExpressApplication>(DashboardModule.forRoot({ log, bus, feed, auth }), {
  logger: new NestPinoLogger(log),
  bodyParser: false,
});
app.use(bodyParsing("16kb"));
app.use("/dashboard", uiFiles(defaultUiDir()));
feed.start();
installProcessGuards(log, async () => {
  feed.stop();
  await app.close();
  await bus.drain();
});
await app.listen(config.DASHBOARD_PORT, config.DASHBOARD_HOST);
const url = (await app.getUrl()).replace("[::1]", "127.0.0.1");
logReady(log, { url: `${url}/dashboard`, tokens: auth.open ? "none (loopback: everyone is admin)" : "required" });
