/**
 * The verify-cost model: what one forward pass of a verifier costs, as a function of the tokens
 * in its decode. Every reading of a verifier's cost goes through here: the load-aware pairing
 * and the rebalancer (a line fitted to the verifier's start-up profile), window control (the
 * same line fitted to live rounds, decayed) and DSD-Sim (a device's measured curve, and the
 * window-keyed profile its verifiers register with).
 *
 * A pass is keyed by its decode's tokens n: a window γ is γ + 1 tokens (the uncached last
 * committed token and the γ drafted), and the other sessions batched into the same decode add
 * theirs. Profiles on the wire are keyed by window (`verifyMsByWindow`), device profiles by
 * tokens (`verifyMsByTokens`); `byTokens` turns the first into the second.
 */

/** One measured pass: `ms` for a decode of `tokens` tokens. */
export interface VerifyCostPoint {
  tokens: number;
  ms: number;
}

/** One measured pass of a window γ (γ + 1 tokens), as a worker registers its profile. */
export interface VerifyCostByWindow {
  window: number;
  ms: number;
}

/** A pass costs a + b·n ms for a decode of n tokens. */
export interface VerifyLine {
  a: number;
  b: number;
}

/** Tokens a pass evaluates for one session's window γ: the drafted γ and the last committed one. */
export const tokensOfWindow = (window: number) => window + 1;

/** A window-keyed profile read by decode tokens. */
export function byTokens(profile: readonly VerifyCostByWindow[]): VerifyCostPoint[] {
  return profile.map((p) => ({ tokens: tokensOfWindow(p.window), ms: p.ms }));
}

/** Windows a simulated verifier registers its profile at (what `measureVerifyCost` times on a real one). */
export const PROFILE_WINDOWS = [0, 1, 2, 4, 8] as const;

/** A cost function read at a few windows: the profile a verifier registers (`verifyMsByWindow`). */
export function byWindow(
  cost: (tokens: number) => number,
  windows: readonly number[] = PROFILE_WINDOWS,
): VerifyCostByWindow[] {
  return windows.map((window) => ({ window, ms: cost(tokensOfWindow(window)) }));
}

/** The line assumed for a verifier that measured nothing (PROFILE_AT_START=false): 25 ms + 5 ms a token. */
export const UNMEASURED_VERIFY_LINE: Readonly<VerifyLine> = { a: 25, b: 5 };

/**
 * While a single decode size has been seen the slope is unknown: each token beyond the first is
 * taken to add this share of a single-token pass (a verify pass is far from free on a CPU; see
 * docs/benchmarks.md), until other sizes are seen.
 */
export const SINGLE_SIZE_TOKEN_SHARE = 0.15;

/**
 * Weighted least squares of ms on decode tokens, kept as running sums so that older
 * observations can be forgotten (`decay`): the estimator's fit to live rounds. `fitVerifyLine`
 * fits a fixed set of points (a profile) to the same line.
 */
export class VerifyLineFit {
  private w = 0;
  private x = 0;
  private y = 0;
  private xx = 0;
  private xy = 0;

  /** Every observation so far weighs `factor` times less. */
  decay(factor: number): void {
    this.w *= factor;
    this.x *= factor;
    this.y *= factor;
    this.xx *= factor;
    this.xy *= factor;
  }

  add(tokens: number, ms: number, weight = 1): void {
    this.w += weight;
    this.x += weight * tokens;
    this.y += weight * ms;
    this.xx += weight * tokens * tokens;
    this.xy += weight * tokens * ms;
  }

  /** The fitted line; `UNMEASURED_VERIFY_LINE` when nothing was added. */
  line(): VerifyLine {
    const { w, x, y, xx, xy } = this;
    if (!(w > 0)) return { ...UNMEASURED_VERIFY_LINE };
    const meanX = x / w;
    const meanY = y / w;
    const varX = xx / w - meanX * meanX;
    return lineOf(meanX, meanY, varX, () => (xy / w - meanX * meanY) / varX);
  }
}

/**
 * The line through a profile's points, each weighing the same (two passes over the points: the
 * deviations from the means, which keep a profile that lies on a line exactly on it).
 */
export function fitVerifyLine(points: readonly VerifyCostPoint[]): VerifyLine {
  if (points.length === 0) return { ...UNMEASURED_VERIFY_LINE };
  const meanX = points.reduce((sum, p) => sum + p.tokens, 0) / points.length;
  const meanY = points.reduce((sum, p) => sum + p.ms, 0) / points.length;
  const sxx = points.reduce((sum, p) => sum + (p.tokens - meanX) ** 2, 0);
  const sxy = points.reduce((sum, p) => sum + (p.tokens - meanX) * (p.ms - meanY), 0);
  return lineOf(meanX, meanY, sxx / points.length, () => sxy / sxx);
}

/**
 * The model's line from a fit's means, the variance of its sizes and its least-squares slope:
 *
 * - one size seen (no variance): the line through it on which each extra token costs
 *   `SINGLE_SIZE_TOKEN_SHARE` of a one-token pass;
 * - a negative slope (noise: more tokens never cost less): slope 0 through the mean, the least
 *   squares line among those of slope ≥ 0;
 * - else the least-squares line. Its intercept may come out below 0 for a convex cost; it is
 *   read at n ≥ 1 only, where this line fits the observations best.
 */
function lineOf(meanX: number, meanY: number, varX: number, leastSquaresSlope: () => number): VerifyLine {
  if (varX < 1e-6) {
    const b = (SINGLE_SIZE_TOKEN_SHARE * meanY) / (1 + SINGLE_SIZE_TOKEN_SHARE * (meanX - 1));
    return { a: meanY - b * meanX, b };
  }
  const b = leastSquaresSlope();
  return b < 0 ? { a: meanY, b: 0 } : { a: meanY - b * meanX, b };
}

/**
 * What a device's pass costs, from its measured points (DSD-Sim's ground truth, not an
 * estimate): linear between them, and beyond the last along the line through the last two. A
 * single point defines a cost proportional to the tokens. A CPU's cost is not a line (1 → 2
 * tokens jumps), so the simulated device keeps the measured curve while the policies predict
 * from the line fitted to it.
 */
export function verifyCostCurve(points: readonly VerifyCostPoint[]): (tokens: number) => number {
  const sorted = [...points].sort((a, b) => a.tokens - b.tokens);
  if (sorted.length === 0) throw new Error("a verify cost curve needs at least one measured point");
  if (sorted.length === 1) {
    const { tokens, ms } = sorted[0]!;
    return (n) => (ms * n) / tokens;
  }
  return (n) => {
    let i = 1;
    while (i < sorted.length - 1 && sorted[i]!.tokens < n) i++;
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    const slope = (b.ms - a.ms) / (b.tokens - a.tokens);
    return Math.max(0, a.ms + slope * (n - a.tokens));
  };
}
