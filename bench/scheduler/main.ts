/**
 * bench:scheduler (first part) — the real registry and scheduler processes against a simulated
 * fleet of thousands of workers: each registers with a profile and sends telemetry at 1 Hz;
 * simulated verifiers and drafters accept every session and end it after a hold time. Requests
 * are submitted through the scheduler's real contract; a decision's latency is the time from
 * submitting to the chosen verifier receiving its open. Prints decisions per second and the
 * latency percentiles, per pairing policy, side by side in one run.
 */
import cliProgress from "cli-progress";
import { connect } from "nats";
import pino from "pino";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import {
  ANY_ID,
  DrafterOpen,
  FleetRegister,
  FleetTelemetry,
  GREEDY_SAMPLING,
  SchedulerSessionEnded,
  SchedulerSubmit,
  VerifierOpen,
  type CompletionJob,
} from "#contracts";
import { startNats, startRedis, startService, type ManagedProcess } from "#infra";
import { ContractBus } from "#transport";
import { median, printTable } from "../support/report.js";
import { comparePoliciesOnFleet } from "./fleet-policies.js";

const argv = await yargs(hideBin(process.argv))
  .scriptName("bench:scheduler")
  .usage(
    "$0 [options]\n\nThe registry and scheduler against thousands of simulated workers: decisions/s and decision latency.",
  )
  .option("workers", { type: "number", default: 2000, describe: "simulated workers (a fifth of them verifiers)" })
  .option("requests", { type: "number", default: 1000, describe: "requests per policy" })
  .option("concurrency", { type: "number", default: 32, describe: "requests in flight" })
  .option("hold-ms", { type: "number", default: 100, describe: "how long a simulated session lasts" })
  .option("policies", {
    type: "string",
    default: "load-aware,shortest-queue,round-robin,random",
    describe: "PAIRING_POLICY values to compare",
  })
  .option("parts", {
    type: "string",
    default: "simulated,fleet",
    describe: "simulated: decisions against simulated workers; fleet: throughput on a real local fleet",
  })
  .option("fleet-requests", {
    type: "number",
    default: 96,
    describe: "requests per policy and repeat (24 is quicker, and decided by its last few requests)",
  })
  .option("fleet-concurrency", { type: "number", default: 6 })
  .option("fleet-max-tokens", { type: "number", default: 96 })
  .option("fleet-repeats", { type: "number", default: 2 })
  .strict()
  .help()
  .parseAsync();

const FINGERPRINT = "vocab-bench-0001";
const verifiers = Math.max(1, Math.round(argv.workers / 5));
const ids = Array.from({ length: argv.workers }, (_, i) => (i < verifiers ? `sim-v${i}` : `sim-d${i - verifiers}`));
const startedAt = Date.now();
const registration = (id: string, i: number) => {
  const verifier = id.startsWith("sim-v");
  return {
    workerId: id,
    role: verifier ? ("verifier" as const) : ("drafter" as const),
    model: { name: verifier ? "bench-target" : "bench-draft", vocabFingerprint: FINGERPRINT },
    deviceClass: verifier ? "cloud-sim" : "edge-sim",
    threads: 1,
    maxSessions: 4,
    contextSize: 512,
    startedAt,
    // Heterogeneous speeds, so the load-aware policy has something to weigh.
    profile: verifier
      ? {
          verifyMsByWindow: [
            { window: 0, ms: 20 + (i % 7) * 3 },
            { window: 4, ms: 40 + (i % 7) * 5 },
          ],
        }
      : { draftMsPerToken: 0.5 + (i % 11) * 0.8 },
  };
};

const parts = argv.parts.split(",");
const policies = argv.policies.split(",");
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

async function simulated(): Promise<void> {
  const nats = await startNats();
  const redis = await startRedis();
  const nc = await connect({ servers: nats.url, name: "bench-simulated-fleet" });
  const bus = new ContractBus(nc, pino({ level: "silent" }));
  const opened = new Map<string, number>();
  bus.serve(VerifierOpen, ANY_ID, async (req) => {
    opened.set(req.sessionId, performance.now());
    setTimeout(() => {
      bus.publish(SchedulerSessionEnded, "", {
        sessionId: req.sessionId,
        verifierId: "sim",
        drafterId: req.drafterId,
        finishReason: "length",
        generatedTokens: 1,
        rounds: 1,
        draftedTokens: 0,
        acceptedTokens: 0,
      });
    }, argv["hold-ms"]);
    return { ok: true as const, promptTokens: [1], generatedTokens: [], position: 1, finished: false };
  });
  bus.serve(DrafterOpen, ANY_ID, async () => ({ ok: true as const }));

  // Once the registry runs: registrations (repeated every 10 s, as workers do), then telemetry
  // at 1 Hz from every worker, spread over the second.
  let beat = 0;
  const simulateFleet = () =>
    setInterval(() => {
      if (beat % 200 === 0) ids.forEach((id, i) => bus.publish(FleetRegister, "", registration(id, i)));
      const slice = Math.ceil(ids.length / 20);
      for (const id of ids.slice((beat % 20) * slice, (beat % 20) * slice + slice)) {
        bus.publish(FleetTelemetry, "", {
          workerId: id,
          at: Date.now(),
          activeSessions: 0,
          targetOnlySessions: 0,
          tokensPerSecond: 0,
          rounds: 0,
          acceptedTokens: 0,
          draftedTokens: 0,
          rollbacks: 0,
          meanBatchSize: 1,
          memoryRssBytes: 0,
          power: { source: "plugged", level: null },
          links: [],
          brokerRttMs: 1,
        });
      }
      beat++;
    }, 50);

  const rows: string[][] = [];
  const services: ManagedProcess[] = [];
  let heartbeat: NodeJS.Timeout | undefined;
  try {
    const env = {
      NATS_URL: nats.url,
      REDIS_URL: redis.url,
      LOG_LEVEL: "warn",
      SCHEDULER_QUEUE_LIMIT: String(argv.requests * 2),
      SCHEDULER_REBALANCE_MS: "0",
    };
    const registry = await startService("registry", { env });
    services.push(registry);
    await registry.waitForReady(30_000);
    heartbeat = simulateFleet();
    for (const policy of policies) {
      const scheduler = await startService("scheduler", {
        name: `scheduler-${policy}`,
        env: { ...env, PAIRING_POLICY: policy },
      });
      services.push(scheduler);
      await scheduler.waitForReady(30_000);
      await new Promise((resolve) => setTimeout(resolve, 1500)); // a full round of telemetry and a fleet event
      const latencies: number[] = [];
      const bar = new cliProgress.SingleBar(
        { format: `${policy} [{bar}] {value}/{total} decisions`, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(argv.requests, 0);
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: argv.concurrency }, async () => {
          for (let n = next++; n < argv.requests; n = next++) {
            const sessionId = `bench-${policy}-${n}`;
            const job: CompletionJob = {
              sessionId,
              model: "bench-target",
              prompt: "x",
              maxTokens: 8,
              window: null,
              sampling: GREEDY_SAMPLING,
              priority: 0,
              submittedAt: Date.now(),
            };
            const sent = performance.now();
            const reply = await bus.request(SchedulerSubmit, "", job, 30_000);
            if (!reply.ok) throw new Error(`${policy}: ${reply.error.message}`);
            while (!opened.has(sessionId)) await new Promise((resolve) => setTimeout(resolve, 1));
            latencies.push(opened.get(sessionId)! - sent);
            bar.increment();
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      bar.stop();
      await scheduler.stop();
      latencies.sort((a, b) => a - b);
      const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
      rows.push([
        policy,
        (argv.requests / seconds).toFixed(0),
        median(latencies).toFixed(1),
        p(0.95).toFixed(1),
        p(0.99).toFixed(1),
      ]);
    }
  } finally {
    clearInterval(heartbeat);
    for (const service of services.reverse()) await service.stop();
    await nc.close();
    await redis.stop();
    await nats.stop();
  }

  printTable(
    `pairing decisions: real registry and scheduler, ${argv.workers} simulated workers (${verifiers} verifiers) at 1 Hz telemetry, ${argv.requests} requests, ${argv.concurrency} in flight, sessions held ${argv["hold-ms"]} ms`,
    ["policy", "decisions/s", "p50 ms", "p95 ms", "p99 ms"],
    rows,
  );
}
