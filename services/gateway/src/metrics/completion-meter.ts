import type { GatewayMetrics } from "#metrics";

/** How a completion ended, as `specfleet:request_success_total` counts it (`finished_reason`). */
export type FinishedReason = "stop" | "length" | "cancelled" | "error";

/** The moments of one completion, in ms on one monotonic clock (`performance.now()`). */
export interface CompletionMoments {
  /** The request reached the gateway (an HTTP request's arrival; a job's request: its attempt's start). */
  arrivedAt: number;
  /** The first generated token reached the gateway; null before any. */
  firstTokenAt: number | null;
  /** The last generated token reached the gateway; null before any. */
  lastTokenAt: number | null;
  /** The completion finished (its end read). */
  endedAt: number;
}

/** Time to first token, seconds: arrival → first generated token; null without a token. */
export function timeToFirstTokenS(arrivedAt: number, firstTokenAt: number | null): number | null {
  return firstTokenAt === null ? null : Math.max(0, firstTokenAt - arrivedAt) / 1000;
}

/**
 * Time per output token of one request, seconds: (last − first) / (n − 1), the mean gap between
 * the n generated tokens after the first (vLLM's `request_time_per_output_token_seconds`); null
 * for n < 2, where there is no gap. Tokens verified in one round arrive together, so gaps are 0
 * inside a round and the mean spreads a round's time over its tokens.
 */
export function timePerOutputTokenS(firstTokenAt: number | null, lastTokenAt: number | null, n: number): number | null {
  if (firstTokenAt === null || lastTokenAt === null || n < 2) return null;
  return Math.max(0, lastTokenAt - firstTokenAt) / 1000 / (n - 1);
}

/** End-to-end latency, seconds: arrival → the completion's end. */
export function e2eLatencyS({ arrivedAt, endedAt }: CompletionMoments): number {
  return Math.max(0, endedAt - arrivedAt) / 1000;
}

/**
 * Meters one completion on its way through `OpenCompletion.pieces()`, the one place every
 * completion passes (text and chat, whole or streamed, interactive or a job's): TTFT when its
 * first token arrives, then once at its end the finish reason, tokens and latencies. Cheap per
 * event: two numbers kept, no allocation; histograms observe numbers already known.
 */
export class CompletionMeter {
  private firstTokenAt: number | null = null;
  private lastTokenAt: number | null = null;
  /** Tokens passed to the client so far. */
  private sent = 0;
  private done = false;

  constructor(
    private readonly metrics: GatewayMetrics,
    private readonly model: string,
    private readonly arrivedAt: number,
    private readonly promptTokens: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** `count` generated tokens reached the client. */
  tokens(count: number): void {
    if (count <= 0 || this.done) return;
    const now = this.now();
    if (this.firstTokenAt === null) {
      this.firstTokenAt = now;
      this.metrics.timeToFirstToken.observe({ model: this.model }, timeToFirstTokenS(this.arrivedAt, now)!);
    }
    this.lastTokenAt = now;
    this.sent += count;
  }

  /**
   * The completion finished whole (`stop`, `length`) with `completionTokens` (its usage), or ended
   * without finishing (`cancelled`: the fleet or the client stopped it; `error`). Counted once:
   * later calls do nothing. Latencies and per-request histograms are for whole answers only.
   */
  finished(reason: FinishedReason, completionTokens = this.sent): void {
    if (this.done) return;
    this.done = true;
    const labels = { model: this.model };
    this.metrics.requestSuccess.inc({ model: this.model, finished_reason: reason });
    this.metrics.promptTokens.inc(labels, this.promptTokens);
    this.metrics.generationTokens.inc(labels, completionTokens);
    if (reason !== "stop" && reason !== "length") return;
    const moments = { arrivedAt: this.arrivedAt, firstTokenAt: this.firstTokenAt, lastTokenAt: this.lastTokenAt };
    this.metrics.e2eLatency.observe(labels, e2eLatencyS({ ...moments, endedAt: this.now() }));
    const tpot = timePerOutputTokenS(this.firstTokenAt, this.lastTokenAt, completionTokens);
    if (tpot !== null) this.metrics.timePerOutputToken.observe(labels, tpot);
    this.metrics.requestPromptTokens.observe(labels, this.promptTokens);
    this.metrics.requestGenerationTokens.observe(labels, completionTokens);
  }
}

/**
 * How a completion that threw ended: `cancelled` when the fleet cancelled it or its client left
 * (`session_cancelled`, `client_closed`), `error` for anything else (a failed session, a fleet
 * error, a stream that stalled).
 */
export function finishedReasonOf(err: unknown): "cancelled" | "error" {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "session_cancelled" || code === "client_closed" ? "cancelled" : "error";
}
