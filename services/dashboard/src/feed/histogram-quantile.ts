/** A histogram's cumulative bucket: observations ≤ `le` (the last one is `Infinity`). */
export interface CumulativeBucket {
  le: number;
  count: number;
}

/**
 * The φ-quantile of the observations counted in cumulative buckets (usually the increase of a
 * histogram over a window), interpolated linearly inside the bucket that holds it, exactly as
 * Prometheus' `histogram_quantile` does (promql/quantile.go `bucketQuantile`): the lowest
 * bucket starts at 0 when its bound is positive; a quantile in the `+Inf` bucket is the highest
 * finite bound. Null when nothing was observed or the buckets are unusable.
 */
export function histogramQuantile(phi: number, buckets: readonly CumulativeBucket[]): number | null {
  if (!(phi >= 0 && phi <= 1)) return null;
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  if (sorted.length < 2 || sorted[sorted.length - 1]!.le !== Infinity) return null;
  // Counts that drop (a scrape racing an observation) are lifted, as Prometheus' ensureMonotonic does.
  let running = 0;
  const counts = sorted.map((b) => (running = Math.max(running, b.count)));
  const total = counts[counts.length - 1]!;
  if (total <= 0) return null;
  const rank = phi * total;
  // Never -1: the last count is the total.
  const i = counts.findIndex((count) => count >= rank);
  if (i === sorted.length - 1) return sorted[sorted.length - 2]!.le;
  if (i === 0 && sorted[0]!.le <= 0) return sorted[0]!.le;
  const start = i === 0 ? 0 : sorted[i - 1]!.le;
  const below = i === 0 ? 0 : counts[i - 1]!;
  const inBucket = counts[i]! - below;
  if (inBucket <= 0) return sorted[i]!.le;
  return start + (sorted[i]!.le - start) * ((rank - below) / inBucket);
}
