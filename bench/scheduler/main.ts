/**
 * bench:scheduler (first part) — the real registry and scheduler processes against a simulated
 * fleet of thousands of workers: each registers with a profile and sends telemetry at 1 Hz;
 * simulated verifiers and drafters accept every session and end it after a hold time. Requests
 * are submitted through the scheduler's real contract; a decision's latency is the time from
 * submitting to the chosen verifier receiving its open. Prints decisions per second and the
 * latency percentiles, per pairing policy, side by side in one run.
 */
import { join } from "node:path";
import cliProgress from "cli-progress";
import { connect } from "nats";
import pino from "pino";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { GREEDY_SAMPLING, SchedulerSubmit, type CompletionJob } from "#contracts";
import type { PairingPolicyName } from "#pairing";
import { ManagedProcess, projectRoot, serviceEntry, startNats, startRedis, type ServiceActor } from "#infra";
import { ContractBus } from "#transport";
import { CpuMeter } from "../support/process-cpu.js";
import { median, printTable } from "../support/report.js";
import { SIMULATED_TARGET, SimulatedFleet } from "../support/simulated-fleet.js";
import { decideInProcess } from "./decide-in-process.js";
import { comparePoliciesOnFleet } from "./fleet-policies.js";

const argv = await yargs(hideBin(process.argv))
  .scriptName("bench:scheduler")
  .usage(
    "$0 [options]\n\nThe registry and scheduler against thousands of simulated workers: decisions/s and decision latency.",
  )
  .option("workers", { type: "number", default: 2000, describe: "simulated workers (a fifth of them verifiers)" })
  .option("requests", { type: "number", default: 1000, describe: "requests per policy" })
  .option("concurrency", {
    type: "number",
    default: 32,
    describe: "requests in flight in the capacity run (closed loop: a request is sent as one is opened)",
  })
  .option("rate", {
    type: "number",
    default: 500,
    describe: "requests per second offered in the latency run (open loop: sent on a clock, whatever is pending)",
  })
  .option("hold-ms", { type: "number", default: 100, describe: "how long a simulated session lasts" })
  .option("registry-seconds", {
    type: "number",
    default: 10,
    describe: "how long the registry's CPU is measured with the heartbeats only, before any scheduler",
  })
  .option("warmup", { type: "number", default: 64, describe: "unmeasured requests per policy before its run" })
  .option("policies", {
    type: "string",
    default: "load-aware,shortest-queue,round-robin,random",
    describe: "PAIRING_POLICY values to compare",
  })
  .option("parts", {
    type: "string",
    default: "simulated,fleet",
    describe:
      "simulated: decisions against simulated workers; fleet: throughput on a real local fleet; decide: a decision's CPU in process",
  })
  .option("fleet-requests", {
    type: "number",
    default: 96,
    describe: "requests per policy and repeat (24 is quicker, and decided by its last few requests)",
  })
  .option("fleet-concurrency", { type: "number", default: 6 })
  .option("fleet-max-tokens", { type: "number", default: 96 })
  .option("fleet-repeats", { type: "number", default: 2 })
  .option("cpu-prof", {
    type: "string",
    describe: "write CPU profiles of the registry and the schedulers (node --cpu-prof) into this folder",
  })
  .strict()
  .help()
  .parseAsync();

const verifiers = Math.max(1, Math.round(argv.workers / 5));
const parts = argv.parts.split(",");
const policies = argv.policies.split(",");
if (parts.includes("decide")) decide();
if (parts.includes("simulated")) await simulated();
if (parts.includes("fleet")) {
  const bar = new cliProgress.SingleBar(
    { format: "fleet [{bar}] {value}/{total} runs | {step}", hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(policies.length * argv["fleet-repeats"], 0, { step: "starting the fleet" });
  let done = -1;
  const rows = await comparePoliciesOnFleet(
    {
      policies,
      requests: argv["fleet-requests"],
      concurrency: argv["fleet-concurrency"],
      maxTokens: argv["fleet-max-tokens"],
      repeats: argv["fleet-repeats"],
    },
    (step) => bar.update(++done, { step }),
  );
  bar.update(policies.length * argv["fleet-repeats"]);
  bar.stop();
  printTable(
    `throughput on a local fleet: a fast and a slow verifier (a widened copy of the target), a near drafter and one 60 ms away; ${argv["fleet-requests"]} requests × ${argv["fleet-max-tokens"]} tokens, ${argv["fleet-concurrency"]} at a time, mean of ${argv["fleet-repeats"]} repeats`,
    ["policy", "tokens/s", "vs load-aware", "identical to target alone"],
    rows,
  );
}

/** A service process; with --cpu-prof, node writes its CPU profile when it exits. */
function startActor(actor: ServiceActor, name: string, env: Record<string, string>): Promise<ManagedProcess> {
  const profile = argv["cpu-prof"]
    ? ["--cpu-prof", `--cpu-prof-dir=${argv["cpu-prof"]}`, `--cpu-prof-name=${name}.cpuprofile`]
    : [];
  return ManagedProcess.start({
    name,
    command: process.execPath,
    args: [...profile, serviceEntry(actor)],
    cwd: projectRoot(),
    env: { ...process.env, ...env },
    output: { logFile: join(projectRoot(), ".cache", "bench-logs", "scheduler", `${name}.log`) },
  });
}

/** A decision's CPU in this process, per policy, on the simulated fleet at --workers and at ten times as many. */
function decide(): void {
  const rows: string[][] = [];
  for (const workers of [argv.workers, argv.workers * 10]) {
    for (const policy of policies) {
      process.stderr.write(`decide: ${policy}, ${workers} workers\n`);
      // Fewer decisions on the larger fleet: the same few seconds of CPU.
      const { cpuMs, digest } = decideInProcess(workers, policy as PairingPolicyName, workers > 5000 ? 300 : 3000);
      rows.push([String(workers), policy, cpuMs.toFixed(3), digest]);
    }
  }
  printTable(
    "a decision in process (one views array as the scheduler keeps, a queue pass and the policy; no NATS, no Redis), CPU ms",
    ["workers", "policy", "CPU ms per decision", "decisions digest"],
    rows,
  );
}

/** A request for the simulated target, as the gateway would submit it. */
function jobFor(sessionId: string): CompletionJob {
  return {
    sessionId,
    model: SIMULATED_TARGET,
    prompt: "x",
    maxTokens: 8,
    window: null,
    sampling: GREEDY_SAMPLING,
    priority: 0,
    submittedAt: Date.now(),
  };
}

/** Latency percentiles, formatted: `at(0.99)`. */
function percentiles(latencies: number[]): (q: number) => string {
  const sorted = [...latencies].sort((a, b) => a - b);
  return (q) =>
    sorted.length === 0
      ? "–"
      : (q === 0.5 ? median(sorted) : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!).toFixed(1);
}

/**
 * `count` calls of `send`, started `rate` per second on a clock whether or not earlier ones have
 * finished (an open loop: a slow scheduler meets the same arrivals, and its queueing shows in
 * the latencies; each call is given when it was due, so that a late clock is not hidden). Returns
 * the calls' results, how many failed (not placed in time), and the seconds from the first start
 * to the last end.
 */
async function offered(
  rate: number,
  count: number,
  send: (n: number, due: number) => Promise<number>,
): Promise<{ latencies: number[]; failed: number; seconds: number }> {
  const started = performance.now();
  const calls: Array<Promise<number | null>> = [];
  for (let n = 0; n < count; n++) {
    const due = started + (1000 * n) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    // A rate beyond the scheduler's capacity: what is not placed in time is counted, not fatal.
    calls.push(send(n, due).catch(() => null));
  }
  const results = await Promise.all(calls);
  const latencies = results.filter((ms): ms is number => ms !== null);
  return { latencies, failed: results.length - latencies.length, seconds: (performance.now() - started) / 1000 };
}

async function simulated(): Promise<void> {
  const nats = await startNats();
  const redis = await startRedis();
  const nc = await connect({ servers: nats.url, name: "bench-simulated-fleet" });
  const bus = new ContractBus(nc, pino({ level: "silent" }));
  // This process serves the simulated workers' session subjects; their heartbeats come from another.
  const fleet = new SimulatedFleet(bus, { workers: argv.workers, holdMs: argv["hold-ms"] });
  fleet.serve();

  const rows: string[][] = [];
  const shares: string[][] = [];
  let idleRegistry = Number.NaN;
  const services: ManagedProcess[] = [];
  try {
    const env = {
      NATS_URL: nats.url,
      REDIS_URL: redis.url,
      LOG_LEVEL: "warn",
      SCHEDULER_QUEUE_LIMIT: String(argv.requests * 2),
      SCHEDULER_REBALANCE_MS: "0",
    };
    const registry = await startActor("registry", "registry", env);
    services.push(registry);
    await registry.waitForReady(30_000);
    const heartbeats = await ManagedProcess.start({
      name: "simulated-telemetry",
      command: process.execPath,
      args: [
        join(projectRoot(), "dist", "bench", "support", "simulated-telemetry.js"),
        "--nats",
        nats.url,
        "--workers",
        String(argv.workers),
      ],
      cwd: projectRoot(),
    });
    services.push(heartbeats);
    await heartbeats.waitForReady(30_000);
    // The registry alone with the fleet's heartbeats, before any scheduler: its CPU per 1,000 workers.
    await new Promise((resolve) => setTimeout(resolve, 3000)); // every worker registered, then steady
    const alone = new CpuMeter(registry.pid);
    await new Promise((resolve) => setTimeout(resolve, 1000 * argv["registry-seconds"]));
    idleRegistry = (100 * alone.share()) / (argv.workers / 1000);
    process.stderr.write(`registry, heartbeats only: ${idleRegistry.toFixed(1)}% of a core per 1,000 workers\n`);
    for (const policy of policies) {
      const scheduler = await startActor("scheduler", `scheduler-${policy}`, { ...env, PAIRING_POLICY: policy });
      services.push(scheduler);
      await scheduler.waitForReady(30_000);
      await new Promise((resolve) => setTimeout(resolve, 1500)); // a full round of telemetry and a fleet event
      /** ms from `sent` (by default now; in the open loop, when it was due) to opened at the verifier. */
      const submit = async (sessionId: string, sent = performance.now()): Promise<number> => {
        const reply = await bus.request(SchedulerSubmit, "", jobFor(sessionId), 30_000);
        if (!reply.ok) throw new Error(`${policy}: ${reply.error.message}`);
        return (await fleet.whenOpened(sessionId, 60_000)) - sent;
      };
      // Not measured: the scheduler's first decisions (its fleet snapshot, compiling the policy).
      for (let n = 0; n < argv.warmup; n++) await submit(`warm-${policy}-${n}`);
      const bar = new cliProgress.SingleBar(
        { format: `${policy} [{bar}] {value}/{total} decisions | {step}`, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(2 * argv.requests, 0, { step: `capacity, ${argv.concurrency} in flight` });
      const meters = {
        scheduler: new CpuMeter(scheduler.pid),
        registry: new CpuMeter(registry.pid),
        heartbeats: new CpuMeter(heartbeats.pid),
        bench: new CpuMeter(process.pid),
        nats: new CpuMeter(nats.pid),
        redis: new CpuMeter(redis.pid),
      };
      // Capacity (closed loop): `concurrency` requests always in flight.
      const closed: number[] = [];
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: argv.concurrency }, async () => {
          for (let n = next++; n < argv.requests; n = next++) {
            closed.push(await submit(`bench-${policy}-${n}`));
            bar.increment();
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const share = Object.fromEntries(Object.entries(meters).map(([name, meter]) => [name, meter.share()]));
      // Latency (open loop): requests sent at `rate` per second on a clock, as clients would.
      bar.update({ step: `latency at ${argv.rate}/s offered` });
      const open = await offered(argv.rate, argv.requests, async (n, due) => {
        const ms = await submit(`paced-${policy}-${n}`, due);
        bar.increment();
        return ms;
      });
      bar.stop();
      await scheduler.stop();
      const at = percentiles(closed);
      const paced = percentiles(open.latencies);
      rows.push([
        policy,
        (argv.requests / seconds).toFixed(0),
        at(0.5),
        at(0.99),
        (open.latencies.length / open.seconds).toFixed(0) +
          (open.failed > 0 ? ` (${open.failed} not placed in time)` : ""),
        paced(0.5),
        paced(0.95),
        paced(0.99),
        ((1000 * share.scheduler! * seconds) / argv.requests).toFixed(2),
        `${((100 * share.registry!) / (argv.workers / 1000)).toFixed(1)}%`,
      ]);
      shares.push([policy, ...Object.values(share).map((value) => `${(100 * value).toFixed(0)}%`)]);
    }
  } finally {
    fleet.stop();
    for (const service of services.reverse()) await service.stop();
    await nc.close();
    await redis.stop();
    await nats.stop();
  }

  printTable(
    `pairing decisions: real registry and scheduler, ${argv.workers} simulated workers (${verifiers} verifiers) at 1 Hz telemetry, sessions held ${argv["hold-ms"]} ms; per policy ${argv.warmup} unmeasured requests, then ${argv.requests} with ${argv.concurrency} always in flight (capacity), then ${argv.requests} sent at ${argv.rate}/s (latency: submitted to opened at the verifier)`,
    [
      "policy",
      `capacity, decisions/s (${argv.concurrency} in flight)`,
      "p50 ms",
      "p99 ms",
      `at ${argv.rate}/s offered: decisions/s`,
      "p50 ms",
      "p95 ms",
      "p99 ms",
      "scheduler CPU ms/decision",
      "registry CPU per 1,000 workers (% of a core)",
    ],
    rows,
  );
  console.log(
    `\nThe registry with the heartbeats only (no scheduler), over ${argv["registry-seconds"]} s: ${idleRegistry.toFixed(1)}% of a core per 1,000 workers.\n`,
  );
  printTable(
    "CPU during each policy's run, % of one core (the machine has 2): is the simulated fleet (heartbeats; bench: this process's client and session subjects) out of the way?",
    ["policy", "scheduler", "registry", "simulated heartbeats", "bench", "nats-server", "redis-server"],
    shares,
  );
}
