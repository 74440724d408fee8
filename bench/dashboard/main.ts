/**
 * bench:dashboard — what the dashboard's live feed costs as the fleet grows: the real registry,
 * scheduler and dashboard processes against bench:scheduler's simulated workers (telemetry at
 * 1 Hz, one round report per session every 100 ms). For each fleet size, side by side: the
 * dashboard process's CPU and memory, what one viewer's stream carries per second, the size of a
 * full state, and (with --browser) how the page itself copes in headless Chromium; the
 * scheduler's and registry's CPU beside it (the insight and the fleet snapshots the feed reads).
 */
import { connect } from "nats";
import pino from "pino";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { GREEDY_SAMPLING, SchedulerSubmit } from "#contracts";
import { freePort, startNats, startRedis, startService, type ManagedProcess } from "#infra";
import { ContractBus } from "#transport";
import { printTable } from "../support/report.js";
import { SIMULATED_TARGET, SimulatedFleet } from "../support/simulated-fleet.js";
import { measurePage } from "./page-meter.js";
import { cpuSeconds, rssBytes } from "./process-usage.js";
import { StreamMeter } from "./stream-meter.js";

const argv = await yargs(hideBin(process.argv))
  .scriptName("bench:dashboard")
  .usage("$0 [options]\n\nThe dashboard's feed at growing fleet sizes: CPU, memory, stream bytes, page responsiveness.")
  .option("workers", { type: "string", default: "20,500,2000", describe: "simulated fleet sizes, comma-separated" })
  .option("sessions-per-100", { type: "number", default: 10, describe: "running sessions per 100 workers" })
  .option("seconds", { type: "number", default: 15, describe: "measurement window per fleet size" })
  .option("browser", { type: "boolean", default: true, describe: "also measure the page in headless Chromium" })
  .strict()
  .help()
  .parseAsync();

const sizes = argv.workers.split(",").map(Number);
const rows: string[][] = [];
for (const workers of sizes) rows.push(await measure(workers));
printTable(
  `the dashboard's feed: real registry, scheduler and dashboard; simulated workers at 1 Hz telemetry, ${argv["sessions-per-100"]} sessions per 100 workers each reporting a round every 100 ms; ${argv.seconds} s per size, one viewer; this machine's 2 cores shared by everything`,
  [
    "workers",
    "sessions",
    "dashboard CPU (% of a core)",
    "scheduler CPU",
    "registry CPU",
    "RSS MB",
    "stream KB/s",
    "deltas/s",
    "full state KB",
    ...(argv.browser ? ["page: first rows ms", "rows in DOM", "long tasks", "longest task ms"] : []),
  ],
  rows,
);

async function measure(workers: number): Promise<string[]> {
  process.stderr.write(`bench:dashboard: ${workers} workers…\n`);
  const nats = await startNats();
  const redis = await startRedis();
  const nc = await connect({ servers: nats.url, name: "bench-dashboard" });
  const bus = new ContractBus(nc, pino({ level: "silent" }));
  const fleet = new SimulatedFleet(bus, { workers, holdMs: 600_000, roundEveryMs: 100 });
  fleet.serve();
  const services: ManagedProcess[] = [];
  try {
    const port = await freePort();
    const env = { NATS_URL: nats.url, REDIS_URL: redis.url, LOG_LEVEL: "warn", SCHEDULER_REBALANCE_MS: "0" };
    for (const actor of ["registry", "scheduler"] as const) {
      const service = await startService(actor, { env });
      services.push(service);
      await service.waitForReady(30_000);
    }
    fleet.start();
    const dashboard = await startService("dashboard", { env: { ...env, DASHBOARD_PORT: String(port) } });
    services.push(dashboard);
    await dashboard.waitForReady(30_000);
    const url = `http://127.0.0.1:${port}`;
    await new Promise((resolve) => setTimeout(resolve, 2500)); // registrations and a round of telemetry
    const sessions = Math.round((workers * argv["sessions-per-100"]) / 100);
    for (let n = 0; n < sessions; n++) {
      const reply = await bus.request(
        SchedulerSubmit,
        "",
        {
          sessionId: `bench-dash-${n}`,
          model: SIMULATED_TARGET,
          prompt: "x",
          maxTokens: 8,
          window: null,
          sampling: GREEDY_SAMPLING,
          priority: 0,
          submittedAt: Date.now(),
        },
        30_000,
      );
      if (!reply.ok) throw new Error(reply.error.message);
    }
    const stream = new StreamMeter(`${url}/dashboard/api/stream`);
    stream.start();
    await new Promise((resolve) => setTimeout(resolve, 3000)); // the first state and a few deltas
    stream.reset();
    const [registry, scheduler] = services as [ManagedProcess, ManagedProcess];
    const cpuBefore = [dashboard, scheduler, registry].map((p) => cpuSeconds(p.pid));
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, argv.seconds * 1000));
    const seconds = (performance.now() - started) / 1000;
    const [cpu, schedulerCpu, registryCpu] = [dashboard, scheduler, registry].map(
      (p, i) => (cpuSeconds(p.pid) - cpuBefore[i]!) / seconds,
    ) as [number, number, number];
    const bytesPerSecond = stream.bytes / seconds;
    const deltas = (stream.events.get("delta") ?? 0) / seconds;
    stream.stop();
    const state = await (await fetch(`${url}/dashboard/api/state`)).text();
    const row = [
      String(workers),
      String(sessions),
      (cpu * 100).toFixed(1),
      `${(schedulerCpu * 100).toFixed(1)}%`,
      `${(registryCpu * 100).toFixed(1)}%`,
      (rssBytes(dashboard.pid) / 1e6).toFixed(0),
      (bytesPerSecond / 1000).toFixed(1),
      deltas.toFixed(1),
      (state.length / 1000).toFixed(0),
    ];
    if (argv.browser) {
      const page = await measurePage(`${url}/dashboard`, 10_000);
      row.push(
        page.firstRowsMs.toFixed(0),
        String(page.rowsInDom),
        String(page.longTasks),
        page.longestTaskMs.toFixed(0),
      );
    }
    return row;
  } finally {
    fleet.stop();
    for (const service of services.reverse()) await service.stop();
    await nc.close();
    await redis.stop();
    await nats.stop();
  }
}
