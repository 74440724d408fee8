/**
 * bench:sim — how fast DSD-Sim runs a large fleet: 1,000 drafters, 50 verifiers and 100,000
 * Poisson requests (short outputs, 16–48 tokens) through the production load-aware pairing
 * and adaptive windows. Prints the wall time, simulated rounds and requests per wall second,
 * and the run's headline numbers. The issue asks for under a minute on a 2-core machine.
 */
import cliProgress from "cli-progress";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { simConfigSchema, simulate, type SimConfigInput } from "#sim";
import { PAIRING_POLICY_NAMES, type PairingPolicyName } from "#pairing";

const argv = await yargs(hideBin(process.argv))
  .scriptName("bench:sim")
  .usage("$0 [options]\n\nWall time of one large DSD-Sim run (load-aware pairing, adaptive windows by default).")
  .option("drafters", { type: "number", default: 1000 })
  .option("verifiers", { type: "number", default: 50 })
  .option("requests", { type: "number", default: 100_000 })
  .option("policy", {
    choices: PAIRING_POLICY_NAMES,
    default: "load-aware" as PairingPolicyName,
    describe: "pairing policy",
  })
  .option("rate", {
    type: "number",
    describe: "arrivals per second (default: 2.5 per verifier, busy but not overloaded)",
  })
  .option("seed", { type: "number", default: 1 })
  .option("rebalance-ms", {
    type: "number",
    default: 5000,
    describe: "how often the rebalancer runs (as SCHEDULER_REBALANCE_MS; 0: never)",
  })
  .strict()
  .help()
  .parseAsync();

const input: SimConfigInput = {
  seed: argv.seed,
  workload: {
    arrivals: { kind: "poisson", ratePerSecond: argv.rate ?? 2.5 * argv.verifiers },
    requests: argv.requests,
    promptTokens: [16, 64],
    outputTokens: [16, 48],
  },
  verifiers: [
    {
      name: "cloud",
      count: argv.verifiers,
      maxSessions: 16,
      link: { rttMs: 1 },
      profile: {
        verifyMsByTokens: [
          { tokens: 1, ms: 30 },
          { tokens: 5, ms: 45 },
          { tokens: 9, ms: 60 },
          { tokens: 33, ms: 150 },
        ],
        prefillMsPerToken: 0.5,
        roundOverheadMs: 1,
      },
    },
  ],
  drafters: [
    // Most drafters near and quick, a fifth far and slow: the pairing has a real choice to make.
    {
      name: "edge",
      count: argv.drafters - Math.floor(argv.drafters / 5),
      maxSessions: 1,
      link: { rttMs: [10, 30], jitterMs: 3, bandwidthMbps: 50 },
      profile: { draftMsPerToken: 3, prefillMsPerToken: 0.5, roundOverheadMs: 1 },
    },
    {
      name: "far",
      count: Math.max(1, Math.floor(argv.drafters / 5)),
      maxSessions: 1,
      link: { rttMs: [60, 120], jitterMs: 10, bandwidthMbps: 10 },
      profile: { draftMsPerToken: 8, prefillMsPerToken: 1, roundOverheadMs: 2 },
    },
  ],
  acceptance: { kind: "rate", alpha: 0.8, decay: 0.98 },
  policies: {
    pairing: argv.policy,
    batching: "fifo",
    rebalanceMs: argv.rebalanceMs,
    window: { policy: "adaptive", window: 4, maxWindow: 12 },
  },
  slo: { ttftMs: 2000, tpotMs: 100 },
};
const config = simConfigSchema.parse(input);

const bar = new cliProgress.SingleBar(
  { format: "bench:sim [{bar}] {value}/{total} requests | {eta}s left", hideCursor: true, stream: process.stderr },
  cliProgress.Presets.shades_classic,
);
bar.start(config.workload.requests, 0);
const started = performance.now();
const summary = simulate(config, { onProgress: (done) => bar.update(done) });
const wallMs = performance.now() - started;
bar.stop();

const rounds = summary.acceptance.speculativeRounds + summary.acceptance.aloneRounds;
const utilisation = summary.verifiers.reduce((s, v) => s + v.utilisation, 0) / Math.max(1, summary.verifiers.length);
const lines = [
  `fleet: ${argv.verifiers} verifiers, ${argv.drafters} drafters; ${argv.requests} requests, Poisson at ${config.workload.arrivals.kind === "poisson" ? config.workload.arrivals.ratePerSecond : "?"}/s, outputs 16–48 tokens; pairing ${argv.policy}, adaptive windows`,
  `wall time: ${(wallMs / 1000).toFixed(2)} s  (${Math.round(rounds / (wallMs / 1000)).toLocaleString("en")} rounds/s, ${Math.round(summary.requests.completed / (wallMs / 1000)).toLocaleString("en")} requests/s of wall time)`,
  `simulated: ${(summary.durationMs / 1000).toFixed(1)} s, ${rounds.toLocaleString("en")} rounds (${summary.acceptance.speculativeRounds.toLocaleString("en")} speculative, ${summary.acceptance.handBacks} hand-backs)`,
  `requests: ${summary.requests.completed} completed, ${summary.requests.failed} failed`,
  `throughput: ${summary.throughput.requestsPerSecond} requests/s, ${summary.throughput.tokensPerSecond} tokens/s; goodput ${summary.goodput.requestsPerSecond}/s (${(summary.goodput.fraction * 100).toFixed(1)}%)`,
  `TTFT ms: mean ${summary.ttftMs.mean}, p50 ${summary.ttftMs.p50}, p99 ${summary.ttftMs.p99};  TPOT ms: mean ${summary.tpotMs.mean}, p99 ${summary.tpotMs.p99}`,
  `acceptance ${summary.acceptance.rate}, ${summary.acceptance.meanAcceptedPerRound} accepted per round; verifier utilisation ${utilisation.toFixed(3)}, drafter ${summary.drafters.meanUtilisation}; mean waiting ${summary.queue.meanWaiting}`,
];
process.stdout.write(`${lines.join("\n")}\n`);
