/**
 * A sequential test of "the drafted tokens are draws from the q sent with them", run per drafter
 * over the p-values `drawPValue` gives (U(0,1) under honesty).
 *
 * Each p-value u becomes two e-values through Vovk & Wang's power calibrator (Vovk & Wang 2021,
 * "E-values: calibration, combination and applications", Ann. Statist. 49(3), §2):
 *
 *   e_low(u) = κ u^(κ−1)        (forged q(x), chosen tokens q rarely draws: u near 0)
 *   e_high(u) = κ (1−u)^(κ−1)   (always the mode of q: u near 1)
 *
 * each with E[e] = 1 under U(0,1). Each side keeps a CUSUM e-detector (Shin, Ramdas & Rinaldo
 * 2024, "E-detectors: a nonparametric framework for sequential change detection", NEJSDS 2(2),
 * §3): R_n = e_n · max(R_{n−1}, 1), i.e. R_n = max_j Π_{i=j..n} e_i, and alarms when
 * R_n ≥ A. Each product from a start j is a test martingale under honesty, so by Ville's
 * inequality P(it ever reaches A) ≤ 1/A; a union over the N start times of the first N draws
 * gives P(false alarm within N drafted tokens) ≤ 2N/A for the two sides together, for the
 * drafter's whole life, whatever its windows. Work is in logs (one u of 1e-300 would overflow).
 */
export interface DrawDetectorOptions {
  /** κ in (0, 1): larger catches milder liars, smaller catches blatant ones in fewer draws. */
  kappa: number;
  /** ln A: the alarm threshold of each side's e-detector. */
  logThreshold: number;
}

/** κ = ½; A = 10¹⁴: at most 2·10⁻⁷ false alarms per drafter per 10⁷ drafted tokens (README). */
export const DEFAULT_DRAW_DETECTOR: DrawDetectorOptions = { kappa: 0.5, logThreshold: 14 * Math.LN10 };

export interface DrawEvidence {
  /** Draws tested so far. */
  draws: number;
  /** ln R_n of each side now. */
  logLow: number;
  logHigh: number;
  /** The smallest p-value seen, and the largest. */
  minP: number;
  maxP: number;
  /** Which side alarmed, or null. */
  alarm: "low" | "high" | null;
}

export class DrawDetector {
  private logLow = Number.NEGATIVE_INFINITY;
  private logHigh = Number.NEGATIVE_INFINITY;
  private draws = 0;
  private minP = 1;
  private maxP = 0;
  private alarm: "low" | "high" | null = null;

  constructor(private readonly options: DrawDetectorOptions = DEFAULT_DRAW_DETECTOR) {
    if (!(options.kappa > 0 && options.kappa < 1)) throw new Error(`κ must be in (0, 1), got ${options.kappa}`);
  }

  /** Takes one draw's p-value; true once the detector has alarmed (it stays alarmed). */
  observe(u: number): boolean {
    this.draws++;
    this.minP = Math.min(this.minP, u);
    this.maxP = Math.max(this.maxP, u);
    const { kappa } = this.options;
    // ln e = ln κ + (κ − 1) ln u; u = 0 is infinitely strong evidence.
    const logE = (x: number) => Math.log(kappa) + (kappa - 1) * Math.log(x);
    this.logLow = Math.max(this.logLow, 0) + logE(u);
    this.logHigh = Math.max(this.logHigh, 0) + logE(1 - u);
    if (this.alarm === null) {
      if (this.logLow >= this.options.logThreshold) this.alarm = "low";
      else if (this.logHigh >= this.options.logThreshold) this.alarm = "high";
    }
    return this.alarm !== null;
  }

  get alarmed(): boolean {
    return this.alarm !== null;
  }

  evidence(): DrawEvidence {
    return {
      draws: this.draws,
      logLow: this.logLow,
      logHigh: this.logHigh,
      minP: this.minP,
      maxP: this.maxP,
      alarm: this.alarm,
    };
  }
}
