import type { Distribution } from "../sampling.js";

/**
 * The re-computation audit's verdict on one drafted position: the q the drafter sent against the
 * q the verifier recomputed with the drafter's model, context and sampling settings.
 *
 * - `totalVariation` = ½ Σ_t |q_sent(t) − q_true(t)| over the union of both supports: how far
 *   the whole distribution is off.
 * - `logRatioAtToken` = |ln q_sent(x) − ln q_true(x)| at the drafted token x: what the
 *   acceptance test min(1, p(x)/q(x)) actually uses. A forged q(x) can be a lie of 10³⁰⁰ while
 *   moving little mass (x was already unlikely), so the total variation alone would miss it.
 * - `drawMatches`: the recomputation's own seeded draw (llama.cpp's sampler, the drafter's seed
 *   for that position) equals x; only evidence, since float differences between a one-token
 *   and a batched decode may flip a draw that lands on a boundary.
 */
export interface QComparison {
  totalVariation: number;
  logRatioAtToken: number;
}

/** How far an honest q may be from its recomputation (float differences of batched decoding). */
export interface QTolerance {
  totalVariation: number;
  logRatioAtToken: number;
}

/**
 * Measured by bench:audit (stories260K as the drafter, 1,008 honest positions): a one-token decode
 * against its batched recomputation differs by at most 2.7e-3 in total variation and 9.8e-3 in
 * ln q(x), so the tolerance leaves a 7× and a 40× margin; a top-p boundary token flipping in or
 * out is the rare larger honest difference, bounded by that token's own mass.
 */
export const DEFAULT_Q_TOLERANCE: QTolerance = { totalVariation: 0.02, logRatioAtToken: Math.log(1.5) };

export function compareQ(sent: Distribution, recomputed: Distribution, token: number): QComparison {
  let diff = 0;
  for (const [t, p] of sent) diff += Math.abs(p - (recomputed.get(t) ?? 0));
  for (const [t, p] of recomputed) if (!sent.has(t)) diff += p;
  const qs = sent.get(token) ?? 0;
  const qt = recomputed.get(token) ?? 0;
  const logRatioAtToken = qs > 0 && qt > 0 ? Math.abs(Math.log(qs) - Math.log(qt)) : qs === qt ? 0 : Infinity;
  return { totalVariation: diff / 2, logRatioAtToken };
}

/** Whether a comparison is beyond what float error explains: the q sent was not the model's. */
export function isForged(comparison: QComparison, tolerance: QTolerance = DEFAULT_Q_TOLERANCE): boolean {
  return comparison.totalVariation > tolerance.totalVariation || comparison.logRatioAtToken > tolerance.logRatioAtToken;
}
