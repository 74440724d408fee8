/** A pair's or a session's rounds over its recent seconds: one bucket per second of the dashboard's clock. */
interface SecondBucket {
  second: number;
  rounds: number;
  /** Tokens drafted (the windows' sum) and accepted. */
  drafted: number;
  accepted: number;
  /** Accepted plus the correction or bonus token: what the round committed. */
  committed: number;
  networkMs: number;
  windows: Map<number, number>;
}

/** The rounds a window figure is computed from (RoundReport's fields that matter here). */
export interface RoundFigures {
  window: number;
  accepted: number;
  networkMs: number;
}

export interface RoundWindowStats {
  rounds: number;
  acceptance: number | null;
  meanWindow: number | null;
  windows: Record<string, number>;
  roundTripMs: number | null;
  /** Committed tokens per second over the window. */
  tokensPerSecond: number;
}

/** Figures are taken over this much time behind now. */
export const ROUND_WINDOW_MS = 10_000;

/**
 * Rounds summed per second over the last ROUND_WINDOW_MS (ten small buckets, whatever the round
 * rate): acceptance is accepted / drafted, the window mean and counts, the network round trip's
 * mean, committed tokens per second ((accepted + 1) per round). Rounds since the start are counted
 * apart, for the pair's total.
 */
export class RoundWindow {
  private readonly buckets: SecondBucket[] = [];
  /** Rounds since this window was made. */
  total = 0;
  lastAt: number | null = null;
  lastWindow: number | null = null;

  constructor(private readonly firstAt: number) {}

  add(at: number, round: RoundFigures): void {
    const second = Math.floor(at / 1000);
    let bucket = this.buckets[this.buckets.length - 1];
    if (bucket === undefined || bucket.second !== second) {
      bucket = { second, rounds: 0, drafted: 0, accepted: 0, committed: 0, networkMs: 0, windows: new Map() };
      this.buckets.push(bucket);
      this.prune(at);
    }
    bucket.rounds += 1;
    bucket.drafted += round.window;
    bucket.accepted += Math.min(round.accepted, round.window);
    bucket.committed += round.accepted + 1;
    bucket.networkMs += round.networkMs;
    bucket.windows.set(round.window, (bucket.windows.get(round.window) ?? 0) + 1);
    this.total += 1;
    this.lastAt = at;
    this.lastWindow = round.window;
  }

  stats(now: number): RoundWindowStats {
    this.prune(now);
    let rounds = 0;
    let drafted = 0;
    let accepted = 0;
    let committed = 0;
    let networkMs = 0;
    const windows: Record<string, number> = {};
    for (const bucket of this.buckets) {
      rounds += bucket.rounds;
      drafted += bucket.drafted;
      accepted += bucket.accepted;
      committed += bucket.committed;
      networkMs += bucket.networkMs;
      for (const [window, count] of bucket.windows) windows[window] = (windows[window] ?? 0) + count;
    }
    // Divided by the time watched when that is shorter than the window (a pair that just started).
    const seconds = Math.max(1, Math.min(ROUND_WINDOW_MS, now - this.firstAt) / 1000);
    return {
      rounds,
      acceptance: drafted > 0 ? accepted / drafted : null,
      meanWindow: rounds > 0 ? drafted / rounds : null,
      windows,
      roundTripMs: rounds > 0 ? networkMs / rounds : null,
      tokensPerSecond: committed / seconds,
    };
  }

  private prune(now: number): void {
    const oldest = Math.floor((now - ROUND_WINDOW_MS) / 1000);
    while (this.buckets.length > 0 && this.buckets[0]!.second <= oldest) this.buckets.shift();
  }
}
