import type { AcceptanceConfig } from "./config.js";

/**
 * One drafter model against the target: how far into a window the target agrees. A round
 * draws its run length L (the draft tokens the target would accept, however many are drafted)
 * once; a window of γ then accepts min(L, γ). `probability(i)` is the chance that position i is
 * accepted given the ones before it were: what a SpecDec++-style stopping rule is told.
 */
export interface AcceptanceModel {
  /** L, drawn with the uniform draw `u` in [0, 1), capped at `max`. */
  runLength(u: () => number, max: number): number;
  probability(position: number): number;
  /** Mean per-token acceptance (the α a scheduler would learn). */
  readonly alpha: number;
}

export function acceptanceModel(config: AcceptanceConfig): AcceptanceModel {
  if (config.kind === "rate") {
    const { alpha, decay } = config;
    return fromPositions(alpha, (i) => alpha * decay ** i);
  }
  // counts[k]: rounds that accepted k at window W = counts.length − 1 (k = W: all of them).
  const W = config.counts.length - 1;
  const total = config.counts.reduce((s, c) => s + c, 0);
  if (total <= 0) throw new Error("an acceptance histogram needs at least one round");
  // P(L ≥ k) for k = 0..W.
  const atLeast = config.counts.map((_, k) => config.counts.slice(k).reduce((s, c) => s + c, 0) / total);
  const conditional = (k: number) => (atLeast[k]! > 0 ? (atLeast[k + 1] ?? 0) / atLeast[k]! : 0);
  // Per-token rate: accepted tokens / (accepted + rounds cut short), as the window estimator learns it.
  const accepted = config.counts.reduce((s, c, k) => s + c * k, 0);
  const cutShort = total - config.counts[W]!;
  const alpha = accepted + cutShort > 0 ? accepted / (accepted + cutShort) : 0;
  return fromPositions(alpha, (i) => (i < W ? conditional(i) : alpha));
}

/** A model from each position's acceptance given the ones before it: a run goes on while draws fall below it. */
function fromPositions(alpha: number, probability: (position: number) => number): AcceptanceModel {
  return {
    alpha,
    probability,
    runLength: (u, max) => {
      let length = 0;
      while (length < max && u() < probability(length)) length++;
      return length;
    },
  };
}
