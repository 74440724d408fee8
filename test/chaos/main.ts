/**
 * npm run test:chaos — the failover cases under real faults, on a fleet of real processes:
 * three verifiers and three drafters (the tiny model) reach NATS through a proxy adding 10 ms
 * each way. Each case streams two requests, strikes once the first has 40 tokens (SIGKILL an
 * actor, restart a server, cut the network, add jitter), heals, and checks both streams
 * against the target decoding alone. Prints a table; exits 1 if any case lost or duplicated a
 * token or changed the output.
 */
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { ANY_ID, SessionStream, type SessionEvent } from "#contracts";
import { printTable } from "../../bench/support/report.js";
import { streamCompletion, type CompletionResult } from "../support/openai-client.js";
import { MODEL, MODEL_PATH } from "../support/fleet.js";
import { startProxiedFleet, type ProxiedFleet } from "../support/proxied-fleet.js";
import { referenceCompletions } from "../support/reference.js";

const argv = await yargs(hideBin(process.argv))
  .scriptName("test:chaos")
  .usage("$0 [options]\n\nFailover cases under real faults; a table of recovery time, tokens lost and duplicated.")
  .option("max-tokens", { type: "number", default: 240, describe: "tokens per request" })
  .option("only", { type: "string", describe: "run only the cases whose name contains this" })
  .strict()
  .help()
  .parseAsync();

const PROMPTS = ["Once upon a time", "The little dog"];
const STRIKE_AT = 40;

interface ChaosCase {
  name: string;
  /** The fault, given the first stream's opening event; resolves once it is healed. */
  strike(h: ProxiedFleet, opened: Extract<SessionEvent, { kind: "opened" }>): Promise<void>;
}

const cases: ChaosCase[] = [
  {
    name: "drafter killed (SIGKILL)",
    strike: async (h, opened) => {
      h.fleet.processes.get(opened.drafterId!)!.kill("SIGKILL");
      await h.fleet.processes.get(opened.drafterId!)!.exited;
      void h.fleet.restart(opened.drafterId!);
    },
  },
  {
    name: "verifier killed (SIGKILL)",
    strike: async (h, opened) => {
      h.fleet.processes.get(opened.verifierId)!.kill("SIGKILL");
      await h.fleet.processes.get(opened.verifierId)!.exited;
      void h.fleet.restart(opened.verifierId);
    },
  },
  {
    name: "scheduler killed and restarted",
    strike: async (h) => {
      h.fleet.processes.get("scheduler")!.kill("SIGKILL");
      await h.fleet.processes.get("scheduler")!.exited;
      await h.fleet.restart("scheduler");
    },
  },
  {
    name: "nats-server killed and restarted",
    strike: async (h) => {
      h.nats.kill("SIGKILL");
      await h.nats.exited;
      await new Promise((resolve) => setTimeout(resolve, 500));
      await h.restartNats();
    },
  },
  {
    name: "redis-server killed and restarted (append-only file)",
    strike: async (h) => {
      h.redis.kill("SIGKILL");
      await h.redis.exited;
      await h.restartRedis();
    },
  },
  {
    name: "workers cut off from NATS for 2 s",
    strike: async (h) => h.proxy.partition(2000),
  },
  {
    name: "delay 25 ms with 20 ms jitter",
    strike: async (h) => {
      h.proxy.setProfile({ delayMs: 25, jitterMs: 20 });
      await new Promise((resolve) => setTimeout(resolve, 3000));
      h.proxy.setProfile({ delayMs: 10 });
    },
  },
];

const reference = await referenceCompletions(MODEL_PATH, PROMPTS, argv["max-tokens"]);
const harness = await startProxiedFleet("chaos", {
  verifiers: ["verifier-1", "verifier-2", "verifier-3"],
  drafters: ["drafter-1", "drafter-2", "drafter-3"],
  maxSessions: 4,
  serviceEnv: {
    registry: { REGISTRY_LOST_AFTER_MS: "1500", REGISTRY_DEGRADED_AFTER_MS: "1200" },
    "draft-worker": { VERIFY_TIMEOUT_MS: "2000" },
  },
});
const { fleet } = harness;
const opened = new Map<string, Extract<SessionEvent, { kind: "opened" }>>();
harness.bus.subscribe(SessionStream, ANY_ID, (event) => {
  if (event.kind === "opened" && !opened.has(event.sessionId)) opened.set(event.sessionId, event);
});
await harness.bus.nc.flush();

const rows: string[][] = [];
let failed = false;
try {
  for (const chaos of cases.filter((c) => !argv.only || c.name.includes(argv.only))) {
    process.stderr.write(`chaos: ${chaos.name}…\n`);
    const known = new Set(opened.keys());
    let struckAt = 0;
    let strike: Promise<void> = Promise.resolve();
    let firstAfterStrike = 0;
    const chunkTimes: number[] = [];
    const first = streamCompletion(
      fleet.gatewayUrl,
      { model: MODEL, prompt: PROMPTS[0], max_tokens: argv["max-tokens"] },
      (soFar) => {
        const now = performance.now();
        chunkTimes.push(now);
        if (struckAt > 0 && firstAfterStrike === 0 && now > struckAt) firstAfterStrike = now;
        if (struckAt > 0 || soFar.tokenIds.length < STRIKE_AT) return;
        const event = [...opened.values()].find((e) => !known.has(e.sessionId) && e.promptTokens > 0);
        if (!event) return;
        struckAt = performance.now();
        strike = chaos.strike(harness, event);
      },
    );
    const second = streamCompletion(
      fleet.gatewayUrl,
      { model: MODEL, prompt: PROMPTS[1], max_tokens: argv["max-tokens"] },
      () => undefined,
    );
    const results = await Promise.allSettled([first, second]);
    await strike;
    const [lost, duplicated, identical] = compare(results);
    const recovery =
      firstAfterStrike > 0 ? `${Math.round(firstAfterStrike - struckAt)}` : struckAt > 0 ? "never" : "no strike";
    failed ||= lost > 0 || duplicated > 0 || !identical || struckAt === 0;
    rows.push([chaos.name, recovery, String(lost), String(duplicated), identical ? "yes" : "NO"]);
    // Let restarted actors register before the next case.
    await new Promise((resolve) => setTimeout(resolve, 2500));
  }
} finally {
  await harness.stop();
}

printTable(
  `chaos: ${PROMPTS.length} concurrent streams × ${argv["max-tokens"]} tokens per case, struck after ${STRIKE_AT} tokens of the first; recovery = strike → next token of that stream`,
  ["case", "recovery ms", "tokens lost", "tokens duplicated", "output identical"],
  rows,
);
process.exit(failed ? 1 : 0);

/** Tokens missing and extra against the reference, over both streams, and whether both match exactly. */
function compare(results: PromiseSettledResult<CompletionResult>[]): [number, number, boolean] {
  let lost = 0;
  let duplicated = 0;
  let identical = true;
  results.forEach((result, i) => {
    const expected = reference.get(PROMPTS[i]!)!.tokens;
    if (result.status === "rejected") {
      lost += expected.length;
      identical = false;
      return;
    }
    const got = result.value.tokenIds;
    lost += Math.max(0, expected.length - got.length);
    duplicated += Math.max(0, got.length - expected.length);
    identical &&= JSON.stringify(got) === JSON.stringify(expected) && result.value.done;
  });
  return [lost, duplicated, identical];
}
