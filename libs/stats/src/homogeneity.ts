import chiSquareCdf from "@stdlib/stats-base-dists-chisquare-cdf";

/** Counts of outcomes (a continuation's text, a token) in one sample. */
export type Counts = ReadonlyMap<string, number>;

export interface HomogeneityTest {
  statistic: number;
  degreesOfFreedom: number;
  /** The chance of a statistic this large if both samples come from one distribution. */
  pValue: number;
  /** Outcomes seen fewer than `minExpected` times were pooled into one bin. */
  bins: number;
}

/**
 * Pearson's chi-square test of homogeneity for two samples: do they come from the same
 * distribution? Outcomes whose expected count is below `minExpected` in either sample are
 * pooled into one bin, as the test's χ² approximation needs.
 */
export function chiSquareHomogeneity(a: Counts, b: Counts, minExpected = 5): HomogeneityTest {
  const totalA = sum(a);
  const totalB = sum(b);
  if (totalA === 0 || totalB === 0) throw new Error("both samples need at least one outcome");
  const total = totalA + totalB;
  const bins: Array<[number, number]> = [];
  let pooled: [number, number] = [0, 0];
  for (const outcome of new Set([...a.keys(), ...b.keys()])) {
    const row: [number, number] = [a.get(outcome) ?? 0, b.get(outcome) ?? 0];
    const expectedLow = ((row[0] + row[1]) * Math.min(totalA, totalB)) / total;
    if (expectedLow < minExpected) pooled = [pooled[0] + row[0], pooled[1] + row[1]];
    else bins.push(row);
  }
  if (pooled[0] + pooled[1] > 0) bins.push(pooled);
  let statistic = 0;
  for (const [countA, countB] of bins) {
    const rowTotal = countA + countB;
    const expectedA = (rowTotal * totalA) / total;
    const expectedB = (rowTotal * totalB) / total;
    statistic += (countA - expectedA) ** 2 / expectedA + (countB - expectedB) ** 2 / expectedB;
  }
  const degreesOfFreedom = Math.max(1, bins.length - 1);
  return { statistic, degreesOfFreedom, pValue: 1 - chiSquareCdf(statistic, degreesOfFreedom), bins: bins.length };
}

/** Total-variation distance between the empirical distributions of two samples, in [0, 1]. */
export function totalVariation(a: Counts, b: Counts): number {
  const totalA = sum(a);
  const totalB = sum(b);
  let distance = 0;
  for (const outcome of new Set([...a.keys(), ...b.keys()])) {
    distance += Math.abs((a.get(outcome) ?? 0) / totalA - (b.get(outcome) ?? 0) / totalB);
  }
  return distance / 2;
}

/** Tallies outcomes. */
export function countOutcomes(outcomes: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const outcome of outcomes) counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  return counts;
}

function sum(counts: Counts): number {
  let total = 0;
  for (const count of counts.values()) total += count;
  return total;
}
