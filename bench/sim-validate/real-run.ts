import pino from "pino";
import { RoundReports, eachRound, type RoundReport } from "#contracts";
import { startLocalFleet, type LocalFleetOptions } from "#infra";
import { connectNats, ContractBus } from "#transport";
import { streamCompletion } from "../../test/support/openai-client.js";
import { median } from "../../cli/profile/measure.js";

export interface Workload {
  clients: number;
  /** Per client, after one warm-up request each. */
  requestsPerClient: number;
  maxTokens: number;
  prompts: readonly string[];
}

export interface RequestTiming {
  promptTokens: number;
  outputTokens: number;
  startMs: number;
  firstTokenMs: number;
  endMs: number;
}

export interface RealRun {
  requests: RequestTiming[];
  /** Every round the drafters reported during the measured requests. */
  rounds: RoundReport[];
  /** Median round trip of a NATS client on this machine to the broker, ms. */
  natsRttMs: number;
}

/** Summary metrics defined as libs/sim's Metrics defines them. */
export function realMetrics(requests: readonly RequestTiming[]): {
  tokensPerSecond: number;
  ttftMs: number;
  tpotMs: number;
} {
  const start = Math.min(...requests.map((r) => r.startMs));
  const end = Math.max(...requests.map((r) => r.endMs));
  const tokens = requests.reduce((s, r) => s + r.outputTokens, 0);
  const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;
  return {
    tokensPerSecond: (1000 * tokens) / (end - start),
    ttftMs: mean(requests.map((r) => r.firstTokenMs - r.startMs)),
    tpotMs: mean(requests.map((r) => (r.outputTokens > 1 ? (r.endMs - r.firstTokenMs) / (r.outputTokens - 1) : 0))),
  };
}

/**
 * Starts the fleet, runs the closed-loop workload through the gateway with streamed responses
 * (greedy: temperature 0), and listens to the drafters' RoundReports meanwhile.
 */
export async function runRealFleet(
  fleetOptions: LocalFleetOptions,
  model: string,
  workload: Workload,
  onProgress: (step: string) => void,
): Promise<RealRun> {
  const fleet = await startLocalFleet(fleetOptions);
  const nc = await connectNats(fleet.natsEndpoint(), "admin", pino({ level: "silent" }), () => undefined);
  try {
    const bus = new ContractBus(nc, pino({ level: "silent" }));
    let measuring = false;
    const rounds: RoundReport[] = [];
    bus.subscribe(
      RoundReports,
      "",
      eachRound((report) => {
        if (measuring) rounds.push(report);
      }),
    );
    const rtts: number[] = [];
    // nc.rtt() counts whole milliseconds: time the PING/PONG of a flush instead.
    for (let i = 0; i < 50; i++) {
      const sent = performance.now();
      await nc.flush();
      rtts.push(performance.now() - sent);
    }

    const one = async (n: number): Promise<RequestTiming> => {
      const prompt = workload.prompts[n % workload.prompts.length]!;
      const startMs = performance.now();
      let firstTokenMs = -1;
      const result = await streamCompletion(
        fleet.gatewayUrl,
        { model, prompt, max_tokens: workload.maxTokens },
        (soFar) => {
          if (firstTokenMs < 0 && soFar.tokenIds.length > 0) firstTokenMs = performance.now();
        },
      );
      const endMs = performance.now();
      if (!result.done || result.tokenIds.length === 0)
        throw new Error(`request ${n} ended without tokens: ${String(result.body).slice(0, 200)}`);
      return {
        promptTokens: result.usage?.prompt_tokens ?? 0,
        outputTokens: result.tokenIds.length,
        startMs,
        firstTokenMs,
        endMs,
      };
    };
    onProgress("warming up (one request per client, not measured)");
    await Promise.all(Array.from({ length: workload.clients }, (_, c) => one(c)));
    await new Promise((resolve) => setTimeout(resolve, 500));

    measuring = true;
    const requests: RequestTiming[] = [];
    const total = workload.clients * workload.requestsPerClient;
    let next = 0;
    await Promise.all(
      Array.from({ length: workload.clients }, async () => {
        for (let n = next++; n < total; n = next++) {
          requests.push(await one(n));
          if (requests.length % workload.clients === 0) onProgress(`${requests.length}/${total} requests`);
        }
      }),
    );
    await nc.flush();
    await new Promise((resolve) => setTimeout(resolve, 200));
    measuring = false;
    return { requests, rounds, natsRttMs: median(rtts) };
  } finally {
    await nc.close();
    await fleet.stop();
  }
}
