/**
 * npm run test:chaos — the failover cases under real faults, on a fleet of real processes:
 * three verifiers and three drafters (the tiny model) reach NATS through a proxy adding 10 ms
 * each way. Each case sends two requests, one streamed and one for the whole answer (whose
 * verifier batches its tokens events), strikes once the stream has 40 tokens (SIGKILL an actor,
 * restart a server, cut the network, add jitter), heals, and checks both answers against the
 * target decoding alone. Prints a table; exits 1 if any case lost or duplicated a
 * token, changed the output, or opened a session afresh twice (placed twice). The scheduler runs
 * as two replicas (one leads, one stands by: docs/deploy.md, "Scheduler replicas").
 */
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { ANY_ID, SessionStream, type SessionEvent } from "#contracts";
import { parseJsonLine } from "#infra";
import { printTable } from "../../bench/support/report.js";
import { complete, streamCompletion, type CompletionResult } from "../support/openai-client.js";
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

/** Requests a case itself sent during its fault, and how long until the fleet served them. */
interface StrikeOutcome {
  extra: Array<{ prompt: string; result: PromiseSettledResult<CompletionResult> }>;
  /** Fault → the standby serving, and → the first token of a request sent right after the fault. */
  takeover: { servingMs: number; firstTokenMs: number };
}

interface ChaosCase {
  name: string;
  /** The fault, given the first stream's opening event; resolves once it is healed. */
  strike(h: ProxiedFleet, opened: Extract<SessionEvent, { kind: "opened" }>): Promise<void | StrikeOutcome>;
}

const SCHEDULERS = ["scheduler", "scheduler-2"];
const isLeaderReady = (line: string) => {
  const parsed = parseJsonLine(line);
  return parsed?.msg === "ready" && parsed.role === "leader";
};

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
    name: "active scheduler killed (SIGKILL), standby takes over",
    strike: (h) => handOver(h, "SIGKILL"),
  },
  {
    name: "active scheduler stopped (SIGTERM: a rollout), standby takes over",
    strike: (h) => handOver(h, "SIGTERM"),
  },
  {
    name: "every scheduler replica killed and restarted",
    strike: async (h) => {
      for (const name of SCHEDULERS) h.fleet.processes.get(name)!.kill("SIGKILL");
      for (const name of SCHEDULERS) await h.fleet.processes.get(name)!.exited;
      await Promise.all(SCHEDULERS.map((name) => h.fleet.restart(name)));
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
  schedulers: SCHEDULERS.length,
  serviceEnv: {
    registry: { REGISTRY_LOST_AFTER_MS: "1500", REGISTRY_DEGRADED_AFTER_MS: "1200" },
    "draft-worker": { VERIFY_TIMEOUT_MS: "2000" },
  },
});
const { fleet } = harness;
const opened = new Map<string, Extract<SessionEvent, { kind: "opened" }>>();
/** Fresh opens (not a resume) per session: more than one is a session placed twice. */
const freshOpens = new Map<string, number>();
harness.bus.subscribe(SessionStream, ANY_ID, (event) => {
  if (event.kind !== "opened") return;
  if (!opened.has(event.sessionId)) opened.set(event.sessionId, event);
  if (event.resumedAt === undefined) freshOpens.set(event.sessionId, (freshOpens.get(event.sessionId) ?? 0) + 1);
});
await harness.bus.nc.flush();

const rows: string[][] = [];
let failed = false;
try {
  for (const chaos of cases.filter((c) => !argv.only || c.name.includes(argv.only))) {
    process.stderr.write(`chaos: ${chaos.name}…\n`);
    const known = new Set(opened.keys());
    let struckAt = 0;
    let strike: Promise<void | StrikeOutcome> = Promise.resolve();
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
        // This stream's own session (its chunks' id): the workers struck are the ones serving it.
        const sessionId = /"id":"([^"]+)"/.exec(String(soFar.body))?.[1];
        const event = sessionId === undefined ? undefined : opened.get(sessionId);
        if (!event || known.has(event.sessionId) || event.promptTokens === 0) return;
        struckAt = performance.now();
        strike = chaos.strike(harness, event);
      },
    );
    const second = wholeAnswer(PROMPTS[1]!);
    const results = await Promise.allSettled([first, second]);
    const outcome = await strike;
    const requests = [
      { prompt: PROMPTS[0]!, result: results[0]! },
      { prompt: PROMPTS[1]!, result: results[1]! },
      ...(outcome?.extra ?? []),
    ];
    const [lost, duplicated, identical] = await compare(requests);
    const placedTwice = [...freshOpens].filter(([id, count]) => !known.has(id) && count > 1).length;
    const recovery =
      firstAfterStrike > 0 ? `${Math.round(firstAfterStrike - struckAt)}` : struckAt > 0 ? "never" : "no strike";
    const takeover = outcome ? `${outcome.takeover.servingMs} / ${outcome.takeover.firstTokenMs}` : "–";
    failed ||= lost > 0 || duplicated > 0 || !identical || struckAt === 0 || placedTwice > 0;
    rows.push([
      chaos.name,
      recovery,
      takeover,
      String(requests.length),
      String(lost),
      String(duplicated),
      String(placedTwice),
      identical ? "yes" : "NO",
    ]);
    // Let restarted actors register before the next case.
    await new Promise((resolve) => setTimeout(resolve, 2500));
  }
} finally {
  await harness.stop();
}

printTable(
  `chaos: ${PROMPTS.length} concurrent requests × ${argv["max-tokens"]} tokens per case (one streamed, one whole answer with batched tokens events), struck after ${STRIKE_AT} tokens of the stream; recovery = strike → next token of that stream; takeover = stopping the leader → the standby serving / → first token of a request sent right after`,
  [
    "case",
    "recovery ms",
    "takeover ms",
    "requests",
    "tokens lost",
    "tokens duplicated",
    "placed twice",
    "output identical",
  ],
  rows,
);
process.exit(failed ? 1 : 0);

/**
 * Stops the leading scheduler with `signal` and sends new requests at once (the gateway sends a
 * submission again until a scheduler serves); the stopped replica comes back as the standby.
 */
async function handOver(h: ProxiedFleet, signal: "SIGKILL" | "SIGTERM"): Promise<StrikeOutcome> {
  const leader = SCHEDULERS.find((name) => {
    const process = h.fleet.processes.get(name)!;
    return process.running && process.recentLines().some(isLeaderReady);
  })!;
  const standby = h.fleet.processes.get(SCHEDULERS.find((name) => name !== leader)!)!;
  const stoppedAt = performance.now();
  h.fleet.processes.get(leader)!.kill(signal);
  let firstToken = 0;
  const during = [
    streamCompletion(h.fleet.gatewayUrl, { model: MODEL, prompt: PROMPTS[0], max_tokens: argv["max-tokens"] }, () => {
      firstToken ||= performance.now();
    }),
    wholeAnswer(PROMPTS[1]!),
  ];
  await standby.waitForLine(isLeaderReady, 30_000);
  const servingMs = Math.round(performance.now() - stoppedAt);
  const results = await Promise.allSettled(during);
  await h.fleet.processes.get(leader)!.exited;
  await h.fleet.restart(leader);
  return {
    extra: results.map((result, i) => ({ prompt: PROMPTS[i]!, result })),
    takeover: { servingMs, firstTokenMs: firstToken > 0 ? Math.round(firstToken - stoppedAt) : -1 },
  };
}

/** A request for the whole answer (not streamed); `done` once it came whole, with its finish reason. */
async function wholeAnswer(prompt: string): Promise<CompletionResult> {
  const result = await complete(fleet.gatewayUrl, { model: MODEL, prompt, max_tokens: argv["max-tokens"] });
  return { ...result, done: result.status === 200 && result.finishReason !== null };
}

/** Tokens missing and extra against the reference, over every request, and whether all match exactly. */
async function compare(
  requests: Array<{ prompt: string; result: PromiseSettledResult<CompletionResult> }>,
): Promise<[number, number, boolean]> {
  let lost = 0;
  let duplicated = 0;
  let identical = true;
  for (const { prompt, result } of requests) {
    if (result.status === "rejected") {
      lost += reference.get(prompt)!.tokens.length;
      identical = false;
      continue;
    }
    const got = result.value.tokenIds;
    const expected = (await reference.for(prompt, got)).tokens;
    lost += Math.max(0, expected.length - got.length);
    duplicated += Math.max(0, got.length - expected.length);
    identical &&= JSON.stringify(got) === JSON.stringify(expected) && result.value.done;
  }
  return [lost, duplicated, identical];
}
