import type { DashboardPair, PairHistory } from "#contracts";

type PairPoint = PairHistory["points"][number];

/** A pair's sample every PAIR_SAMPLE_MS, 15 minutes of them, for at most MAX_PAIRS pairs. */
export const PAIR_SAMPLE_MS = 5000;
export const MAX_PAIRS = 500;
const KEPT_MS = 15 * 60_000;

/**
 * Each pair's recent history (bounded: at most MAX_PAIRS pairs, the most recently active kept,
 * and 15 minutes of samples each): what the dashboard shows when an operator clicks a pair.
 */
export class PairHistoryStore {
  private readonly byPair = new Map<string, PairPoint[]>();

  constructor(
    private readonly maxPairs = MAX_PAIRS,
    private readonly keptMs = KEPT_MS,
  ) {}

  /** Records one sample of every pair shown now (the most recently active first when there are too many). */
  sample(at: number, pairs: readonly DashboardPair[]): void {
    const active = [...pairs].sort((a, b) => (b.lastRoundAt ?? 0) - (a.lastRoundAt ?? 0)).slice(0, this.maxPairs);
    // The least active first, so that the most active are the most recently inserted (the last evicted).
    for (const pair of active.reverse()) {
      const key = keyOf(pair.verifierId, pair.drafterId);
      const points = this.byPair.get(key) ?? [];
      // Re-inserted: the Map's order is then least recently sampled first, the order to evict in.
      this.byPair.delete(key);
      this.byPair.set(key, points);
      points.push({
        at,
        acceptance: pair.acceptance,
        meanWindow: pair.meanWindow,
        roundTripMs: pair.roundTripMs,
        tokensPerSecond: pair.tokensPerSecond,
        rounds: pair.rounds,
        predictedTokensPerSecond: pair.predictedTokensPerSecond,
        achievedTokensPerSecond: pair.achievedTokensPerSecond,
      });
    }
    for (const [key, points] of this.byPair) {
      while (points.length > 0 && points[0]!.at < at - this.keptMs) points.shift();
      if (points.length === 0) this.byPair.delete(key);
    }
    for (const key of this.byPair.keys()) {
      if (this.byPair.size <= this.maxPairs) break;
      this.byPair.delete(key);
    }
  }

  /** Null for a pair never sampled (or forgotten). */
  history(verifierId: string, drafterId: string): PairHistory | null {
    const points = this.byPair.get(keyOf(verifierId, drafterId));
    return points ? { verifierId, drafterId, points: [...points] } : null;
  }

  get size(): number {
    return this.byPair.size;
  }
}

function keyOf(verifierId: string, drafterId: string): string {
  return `${verifierId}\u0000${drafterId}`;
}
