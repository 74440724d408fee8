/** What an insight tells of the pairing policy's decisions (libs/contracts `schedulerInsightSchema.decisions`). */
export interface DecisionSummary {
  total: number;
  perSecond: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

/** Decisions per second are counted over this window. */
export const RATE_WINDOW_MS = 10_000;
/** Latency percentiles are taken over this window. */
export const LATENCY_WINDOW_MS = 60_000;
/**
 * Most decisions kept for the percentiles: a scheduler deciding faster than this many a minute
 * has its oldest samples dropped early (the percentiles then cover a shorter span), so the
 * memory and the sort at each insight stay bounded.
 */
export const MAX_SAMPLES = 50_000;

/**
 * The pairing policy's decisions over time: a count since start, and each decision's time and
 * latency for the last minute. Pure: the caller gives the clock (`at`, ms), tests a fake one.
 * Recording is O(1) amortised; a summary sorts the last minute's latencies (at most
 * `MAX_SAMPLES`) once per insight.
 */
export class DecisionStats {
  private total = 0;
  private readonly at: number[] = [];
  private readonly ms: number[] = [];
  /** Index of the oldest sample still kept (the arrays are compacted now and then, not shifted each time). */
  private head = 0;

  record(at: number, durationMs: number): void {
    this.total++;
    this.at.push(at);
    this.ms.push(durationMs);
    if (this.at.length - this.head > MAX_SAMPLES) this.head++;
    this.prune(at);
  }

  summary(now: number): DecisionSummary {
    this.prune(now);
    let recent = 0;
    for (let i = this.at.length - 1; i >= this.head && this.at[i]! > now - RATE_WINDOW_MS; i--) recent++;
    const sorted = this.ms.slice(this.head).sort((a, b) => a - b);
    return {
      total: this.total,
      perSecond: recent / (RATE_WINDOW_MS / 1000),
      p50Ms: percentile(sorted, 0.5),
      p95Ms: percentile(sorted, 0.95),
      p99Ms: percentile(sorted, 0.99),
    };
  }

  private prune(now: number): void {
    while (this.head < this.at.length && this.at[this.head]! <= now - LATENCY_WINDOW_MS) this.head++;
    // Compact once the dropped half outweighs the kept one: amortised O(1) per record.
    if (this.head > 1024 && this.head * 2 > this.at.length) {
      this.at.splice(0, this.head);
      this.ms.splice(0, this.head);
      this.head = 0;
    }
  }
}

/** Nearest-rank percentile of sorted values; null when there are none. */
export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}
