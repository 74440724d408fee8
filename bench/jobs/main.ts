/**
 * bench:jobs — what the jobs path costs. The same N requests are sent as concurrent
 * `/v1/completions` (C clients, C = the fleet's session slots) and as one job (which runs C at a
 * time), in alternating rounds in one run: tokens/s of each and their ratio. Then interactive
 * time to first token (streamed requests one after another), on the idle fleet and while a large
 * job runs within its default share. Greedy throughout: both paths must give the same texts.
 */
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { defaultModelPath, startLocalFleet } from "#infra";
import { PROMPTS } from "../../test/support/fleet.js";
import { median, printTable } from "../support/report.js";
import {
  asCompletions,
  asJob,
  cancelJob,
  percentile,
  startJob,
  timesToFirstToken,
  type CompletionSpec,
} from "./load.js";

const argv = await yargs(hideBin(process.argv))
  .scriptName("bench:jobs")
  .usage(
    "$0 [options]\n\nThroughput of a job against the same requests sent as concurrent completions; interactive TTFT under a job.",
  )
  .option("requests", { type: "number", default: 1000, describe: "requests per measured run" })
  .option("max-tokens", { type: "number", default: 32, describe: "tokens per request" })
  .option("sessions", {
    type: "number",
    default: 4,
    describe: "the verifier's session slots (= the concurrency of both paths)",
  })
  .option("rounds", { type: "number", default: 4, describe: "alternating rounds of each path" })
  .option("ttft-requests", { type: "number", default: 30, describe: "interactive requests per TTFT measurement" })
  .option("share", { type: "number", default: 0.75, describe: "JOBS_FLEET_SHARE while TTFT is measured under a job" })
  .strict()
  .help()
  .parseAsync();

const MODEL = "stories260K";
const specs: CompletionSpec[] = Array.from({ length: argv.requests }, (_, i) => ({
  prompt: `${PROMPTS[i % PROMPTS.length]} ${i}`,
  max_tokens: argv["max-tokens"],
  temperature: 0,
}));

console.log(
  `Cores: the verifier and the drafter take 1 thread each (2 cores); nats-server, redis-server, the registry, the scheduler and the gateway share them.`,
);
const fleet = await startLocalFleet({
  modelPath: defaultModelPath(),
  verifiers: 1,
  drafters: 1,
  maxSessions: argv.sessions,
  logLevel: "warn",
  logDir: ".cache/bench-logs/jobs",
  serviceEnv: { gateway: { JOBS_FLEET_SHARE: "1" } },
});
const restartGateway = async (env: Record<string, string>) => {
  const gateway = fleet.processes.get("gateway")!;
  gateway.kill("SIGTERM");
  await gateway.exited;
  await fleet.restart("gateway", env);
};

try {
  await asCompletions(fleet.gatewayUrl, MODEL, specs.slice(0, 16), argv.sessions);
  const rows: string[][] = [];
  const ratios: number[] = [];
  const totals = { direct: { tokens: 0, seconds: 0 }, job: { tokens: 0, seconds: 0 } };
  let reference: string[] | null = null;
  for (let round = 1; round <= argv.rounds; round++) {
    const direct = await asCompletions(fleet.gatewayUrl, MODEL, specs, argv.sessions);
    const job = await asJob(fleet.gatewayUrl, MODEL, specs);
    reference ??= direct.texts;
    for (const [path, run] of [
      ["completions", direct],
      ["job", job],
    ] as const)
      if (run.texts.some((text, i) => text !== reference![i])) throw new Error(`round ${round}: ${path} texts differ`);
    const ratio = job.tokens / job.seconds / (direct.tokens / direct.seconds);
    totals.direct.tokens += direct.tokens;
    totals.direct.seconds += direct.seconds;
    totals.job.tokens += job.tokens;
    totals.job.seconds += job.seconds;
    ratios.push(ratio);
    rows.push([
      String(round),
      (direct.tokens / direct.seconds).toFixed(1),
      (job.tokens / job.seconds).toFixed(1),
      ratio.toFixed(3),
      `${direct.seconds.toFixed(1)} / ${job.seconds.toFixed(1)}`,
    ]);
    console.log(`round ${round}: completions ${direct.seconds.toFixed(1)} s, job ${job.seconds.toFixed(1)} s`);
  }
  printTable(
    `${argv.requests} requests × ${argv["max-tokens"]} tokens, ${argv.sessions} at a time (greedy; texts identical on both paths)`,
    ["round", "completions tok/s", "job tok/s", "job / completions", "seconds (completions / job)"],
    rows,
  );

  const interactive = specs.slice(0, argv["ttft-requests"]).map((s) => ({ ...s, max_tokens: 16 }));
  const idle = await timesToFirstToken(fleet.gatewayUrl, MODEL, interactive);
  await restartGateway({ JOBS_FLEET_SHARE: String(argv.share) });
  const big = await startJob(fleet.gatewayUrl, MODEL, [...specs, ...specs]);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const loaded = await timesToFirstToken(fleet.gatewayUrl, MODEL, interactive);
  await cancelJob(fleet.gatewayUrl, big);
  const row = (label: string, times: number[]) => [
    label,
    percentile(times, 50).toFixed(0),
    percentile(times, 95).toFixed(0),
  ];
  printTable(
    `Interactive TTFT (ms), ${interactive.length} streamed requests one after another`,
    ["fleet", "p50", "p95"],
    [row("idle", idle), row(`a ${specs.length * 2}-request job running (share ${argv.share})`, loaded)],
  );
  const overall = totals.job.tokens / totals.job.seconds / (totals.direct.tokens / totals.direct.seconds);
  const sorted = [...ratios].sort((a, b) => a - b);
  console.log(
    `job path throughput over all rounds: ${overall.toFixed(3)}× the completions path ` +
      `(rounds ${ratios.map((r) => r.toFixed(3)).join(", ")}; median ${median(sorted).toFixed(3)})`,
  );
} finally {
  await fleet.stop();
}
