import type { SimConfig } from "./config.js";
import type { SimFleet, SimVerifier } from "./fleet.js";
import type { SimRequest } from "./workload.js";

export interface Distribution {
  mean: number;
  p50: number;
  p95: number;
  p99: number;
}

/** What the scheduler's shards did over a run: their decision throughput and how long requests waited for a decision. */
export interface ShardSummary {
  shards: number;
  decisionMs: number;
  decisions: number;
  /** Decisions per second of fleet time until the last one, all shards together. */
  decisionsPerSecond: number;
  /** Busy fraction of the shards until the last decision, mean and busiest (1: a shard decided without pause; its queue grew). */
  utilisation: { mean: number; max: number };
  /** Arrival to decision made, ms: the time a request waited at its shard, its decision included. */
  decisionWaitMs: Distribution;
}

/** What `specfleet sim run` writes: the run's throughput, latencies, acceptance and load. */
export interface SimSummary {
  requests: { completed: number; failed: number };
  /** From the first arrival to the last token delivered, ms. */
  durationMs: number;
  throughput: { requestsPerSecond: number; tokensPerSecond: number };
  /** Requests per second that met the SLO (TTFT and time per output token both within it). */
  goodput: { requestsPerSecond: number; fraction: number; slo: { ttftMs: number; tpotMs: number } };
  ttftMs: Distribution;
  /** Time per output token after the first, per request. */
  tpotMs: Distribution;
  /** Queueing for a pair: arrival to placement, ms. */
  queueWaitMs: Distribution;
  acceptance: {
    rate: number;
    meanAcceptedPerRound: number;
    speculativeRounds: number;
    aloneRounds: number;
    handBacks: number;
  };
  /** Sessions the rebalancer re-paired; of those, moved to another verifier (counted in both verifiers' sessions). */
  rebalancing: { moves: number; verifierMoves: number };
  queue: { meanWaiting: number; maxWaiting: number; meanRoundsAtVerifiers: number };
  verifiers: Array<{ id: string; utilisation: number; sessions: number; meanQueuedRounds: number }>;
  drafters: { count: number; meanUtilisation: number };
  /** The scheduler's shards (when configured: regions, shards or a decision's time). */
  scheduler?: ShardSummary;
}

/** A time-weighted mean of a quantity that changes in steps. */
class TimeWeighted {
  private area = 0;
  private last = 0;
  private value = 0;
  max = 0;
  set(t: number, value: number): void {
    this.area += this.value * (t - this.last);
    this.last = t;
    this.value = value;
    if (value > this.max) this.max = value;
  }
  mean(end: number, start: number): number {
    this.set(end, this.value);
    return end > start ? this.area / (end - start) : 0;
  }
}

export class Metrics {
  finished = 0;
  private failures = 0;
  private readonly ttft: number[] = [];
  private readonly tpot: number[] = [];
  private readonly queueWait: number[] = [];
  private tokens = 0;
  private good = 0;
  private firstArrival = Number.POSITIVE_INFINITY;
  private lastDelivery = 0;
  private drafted = 0;
  private accepted = 0;
  private speculativeRounds = 0;
  private aloneRounds = 0;
  private handBacks = 0;
  private moves = 0;
  private verifierMoves = 0;
  private readonly waiting = new TimeWeighted();
  private readonly queued = new Map<SimVerifier, TimeWeighted>();

  constructor(
    private readonly fleet: SimFleet,
    private readonly slo: SimConfig["slo"],
  ) {
    for (const verifier of fleet.verifiers) this.queued.set(verifier, new TimeWeighted());
  }

  arrived(t: number): void {
    if (t < this.firstArrival) this.firstArrival = t;
  }
  waitingChanged(t: number, count: number): void {
    this.waiting.set(t, count);
  }
  placed(request: SimRequest, t: number): void {
    this.queueWait.push(t - request.arrivalMs);
  }
  failed(): void {
    this.failures++;
  }
  /** Requests finished or failed. */
  get ended(): number {
    return this.finished + this.failures;
  }
  moved(verifierChanged: boolean): void {
    this.moves++;
    if (verifierChanged) this.verifierMoves++;
  }
  verifierQueue(verifier: SimVerifier, t: number, rounds: number): void {
    this.queued.get(verifier)!.set(t, rounds);
  }
  round(window: number, accepted: number, speculative: boolean): void {
    // A round of γ = 0 through a drafter drafts nothing: the target decodes alone.
    if (!speculative || window === 0) {
      this.aloneRounds++;
      return;
    }
    this.speculativeRounds++;
    this.drafted += window;
    this.accepted += accepted;
  }
  handedBack(): void {
    this.handBacks++;
  }
  finish(request: SimRequest, firstTokenMs: number, finishedMs: number, tokens: number): void {
    this.finished++;
    this.tokens += tokens;
    const ttft = firstTokenMs - request.arrivalMs;
    const tpot = tokens > 1 ? (finishedMs - firstTokenMs) / (tokens - 1) : 0;
    this.ttft.push(ttft);
    this.tpot.push(tpot);
    if (ttft <= this.slo.ttftMs && tpot <= this.slo.tpotMs) this.good++;
    if (finishedMs > this.lastDelivery) this.lastDelivery = finishedMs;
  }

  summary(endMs: number): SimSummary {
    const start = Number.isFinite(this.firstArrival) ? this.firstArrival : 0;
    const end = Math.max(this.lastDelivery, start);
    const seconds = Math.max(1e-9, (end - start) / 1000);
    const verifiers = this.fleet.verifiers.map((v) => ({
      id: v.id,
      utilisation: round4(v.busyMs / Math.max(1e-9, endMs - start)),
      sessions: v.sessionsServed,
      meanQueuedRounds: round4(this.queued.get(v)!.mean(endMs, start)),
    }));
    const edge = this.fleet.drafters.filter((d) => !d.host);
    return {
      requests: { completed: this.finished, failed: this.failures },
      durationMs: round4(end - start),
      throughput: {
        requestsPerSecond: round4(this.finished / seconds),
        tokensPerSecond: round4(this.tokens / seconds),
      },
      goodput: {
        requestsPerSecond: round4(this.good / seconds),
        fraction: round4(this.finished ? this.good / this.finished : 0),
        slo: { ...this.slo },
      },
      ttftMs: distribution(this.ttft),
      tpotMs: distribution(this.tpot),
      queueWaitMs: distribution(this.queueWait),
      acceptance: {
        rate: round4(this.drafted ? this.accepted / this.drafted : 0),
        meanAcceptedPerRound: round4(this.speculativeRounds ? this.accepted / this.speculativeRounds : 0),
        speculativeRounds: this.speculativeRounds,
        aloneRounds: this.aloneRounds,
        handBacks: this.handBacks,
      },
      rebalancing: { moves: this.moves, verifierMoves: this.verifierMoves },
      queue: {
        meanWaiting: round4(this.waiting.mean(endMs, start)),
        maxWaiting: this.waiting.max,
        meanRoundsAtVerifiers: round4(
          verifiers.reduce((s, v) => s + v.meanQueuedRounds, 0) / Math.max(1, verifiers.length),
        ),
      },
      verifiers,
      drafters: {
        count: edge.length,
        meanUtilisation: round4(
          edge.reduce((s, d) => s + d.busyMs, 0) / Math.max(1, edge.length) / Math.max(1e-9, endMs - start),
        ),
      },
    };
  }
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

/** Mean and nearest-rank percentiles. */
export function distribution(values: number[]): Distribution {
  if (values.length === 0) return { mean: 0, p50: 0, p95: 0, p99: 0 };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  return {
    mean: round4(values.reduce((s, v) => s + v, 0) / values.length),
    p50: round4(at(0.5)),
    p95: round4(at(0.95)),
    p99: round4(at(0.99)),
  };
}
