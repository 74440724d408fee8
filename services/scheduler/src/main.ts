import "reflect-metadata";
import { loadConfigOrExit, redisEndpointOf, schedulerConfigSchema } from "#config";
import { installProcessGuards, natsReadiness, startConfiguredHealthServer } from "#lifecycle";
import { createLogger, logReady } from "#logging";
import { controlPlaneProcessName, createActorRegistry } from "#metrics";
import { closeRedis, connectRedis } from "#redis";
import { ContractBus, natsEndpointOf, createContractMicroservice, reportMetrics } from "#transport";
import { startTracing, stopTracing, tracingOptionsOf } from "#tracing";
import { LeaderLease, holderName } from "./leadership/leader-lease.js";
import { Leadership } from "./leadership/leadership.js";
import { SCHEDULER_CONTRACTS } from "./scheduler.controller.js";
import { SchedulerModule } from "./scheduler.module.js";

/** A deposed leader's exit status (EX_TEMPFAIL): its orchestrator starts it again, as a standby. */
const DEPOSED_EXIT = 75;

const config = loadConfigOrExit(schedulerConfigSchema);
const log = createLogger("scheduler", config.LOG_LEVEL);
startTracing(tracingOptionsOf("scheduler", config, controlPlaneProcessName("scheduler"), log));
const bus = await ContractBus.connect(natsEndpointOf(config), "scheduler", log);
const metrics = createActorRegistry("scheduler", controlPlaneProcessName("scheduler"), { processMetrics: true });
// The lease has a connection of its own: a renewal never waits behind the store's writes.
const leaseRedis = connectRedis(redisEndpointOf(config), "scheduler-lease", log);
const leadership = new Leadership({
  lease: new LeaderLease(leaseRedis, holderName(), config.SCHEDULER_LEASE_TTL_MS),
  log,
  // At once, as SIGKILL would: nothing more is sent, and a killed scheduler loses nothing.
  deposed: () => process.exit(DEPOSED_EXIT),
});
// Built (modules, Redis, the queue) before it leads: a standby only has to start serving.
const app = await createContractMicroservice(SchedulerModule.forRoot(config, log, bus, metrics, leadership), {
  bus,
  contracts: SCHEDULER_CONTRACTS,
  log,
});
let reporter: ReturnType<typeof reportMetrics> | undefined;
let listening = false;
let standby = false;
const connected = natsReadiness(bus.nc);
// Ready: the leader once it serves; a standby once it has seen a live leader renew the lease.
const health = await startConfiguredHealthServer(config, { log, ready: () => connected() && (listening || standby) });
installProcessGuards(log, async () => {
  await health?.close();
  reporter?.stop();
  await app.close();
  // The last counts (moves and decisions of the shutdown) before the bus goes.
  if (reporter !== undefined && config.METRICS_REPORT_MS > 0) await reporter.reportNow();
  // Given up only now: until its last step, this replica was the one placing.
  await leadership.release();
  await closeRedis(leaseRedis);
  await bus.drain();
  await stopTracing();
});
const held = await leadership
  .campaign(() => {
    standby = true;
    logReady(log, { nats: config.NATS_URL, policy: config.PAIRING_POLICY, role: "standby" });
  })
  .catch(() => null);
// null: stopped while a standby (the process guards are stopping it).
if (held !== null) {
  await app.listen();
  reporter = reportMetrics(bus, metrics, config.METRICS_REPORT_MS, log);
  listening = true;
  logReady(log, { nats: config.NATS_URL, policy: config.PAIRING_POLICY, role: "leader", token: held.token });
}
