import type { WindowEstimates } from "./controller.js";
import { tokensOfWindow, VerifyLineFit, type VerifyCostByWindow } from "./verify-cost.js";

/** What one finished round tells the drafter about its pair. */
export interface RoundObservation {
  window: number;
  accepted: number;
  /** Time the drafter spent drafting the window. */
  draftMs: number;
  /** The verifier's forward pass, as it reported it. */
  verifyMs: number;
  /** Request sent → reply received, minus the verifier's own time: the network and queues. */
  networkMs: number;
  /** Tokens in the verifier's decode this round shared (its own γ + 1 or more); absent: alone. */
  batchTokens?: number;
}

/**
 * Live estimates for window control from recent rounds, each older round weighing `decay` times
 * less: acceptance as accepted / (accepted + rounds cut short) (the geometric MLE), ms per draft
 * token, the network's share of a round, and the verify cost. A verify pass costs what its whole
 * decode costs, so the cost is modelled in the decode's tokens: the session's own γ + 1 plus
 * those of the other sessions batched with it. It is read as measured at each window tried,
 * moved along the fitted line a + b·(decode tokens) by how much the batch has grown or shrunk
 * since; for windows not tried, from the line alone. Pure: the simulator feeds it the same way.
 */
export class RoundEstimator {
  private accepted = 0;
  private cutShort = 0;
  private draftMs = 0;
  private draftTokens = 0;
  private network = { sum: 0, weight: 0 };
  /** Tokens of other sessions in the verifier's decodes, recently. */
  private others = { sum: 0, weight: 0 };
  /** The verify cost as a line in the decode's tokens (verify-cost.ts), older rounds weighing less. */
  private readonly fit = new VerifyLineFit();
  /** Verify cost seen at each window: a CPU's cost is not linear in the window (1 → 2 tokens jumps). */
  private readonly perWindow = new Map<number, { sum: number; others: number; weight: number }>();
  private rounds = 0;

  constructor(private readonly decay = 0.95) {}

  observe(round: RoundObservation): void {
    const d = this.decay;
    this.rounds++;
    this.accepted = this.accepted * d + round.accepted;
    this.cutShort = this.cutShort * d + (round.accepted < round.window ? 1 : 0);
    this.draftMs = this.draftMs * d + round.draftMs;
    this.draftTokens = this.draftTokens * d + round.window;
    this.network = { sum: this.network.sum * d + round.networkMs, weight: this.network.weight * d + 1 };
    const own = tokensOfWindow(round.window);
    const others = Math.max(0, (round.batchTokens ?? own) - own);
    this.others = { sum: this.others.sum * d + others, weight: this.others.weight * d + 1 };
    this.fit.decay(d);
    this.fit.add(own + others, round.verifyMs);
    const seen = this.perWindow.get(round.window) ?? { sum: 0, others: 0, weight: 0 };
    this.perWindow.set(round.window, {
      sum: seen.sum * d + round.verifyMs,
      others: seen.others * d + others,
      weight: seen.weight * d + 1,
    });
  }

  /**
   * Seeds the verify cost with what the verifier measured on itself at start-up (its profile:
   * ms of one pass per window, alone), each point weighing `weight` rounds, so the controller
   * knows what a window it has not tried costs before trying it. Rounds soon outweigh it. The
   * points feed the fitted line only, not the per-window measurements: a profile is taken
   * alone, and a window never tried under the fleet's real batches would keep its start-up
   * cost for good (DSD-Sim caught the adaptive policy handing sessions back on a γ = 0 cost,
   * from the profile, that its batches were far above).
   */
  prime(verifyMsByWindow: readonly VerifyCostByWindow[], weight = 1): void {
    for (const { window, ms } of verifyMsByWindow) this.fit.add(tokensOfWindow(window), ms, weight);
  }

  get observedRounds(): number {
    return this.rounds;
  }

  /** null until there is something to go on. */
  estimates(): WindowEstimates | null {
    if (this.rounds === 0) return null;
    const evidence = this.accepted + this.cutShort;
    const acceptance = evidence > 0 ? this.accepted / evidence : 0;
    const draftMsPerToken = this.draftTokens > 0 ? this.draftMs / this.draftTokens : 0;
    const { a: intercept, b: slope } = this.fit.line();
    const othersNow = this.others.sum / this.others.weight;
    const perWindow = new Map(
      [...this.perWindow]
        .filter(([, s]) => s.weight >= 1)
        .map(([w, s]) => [w, s.sum / s.weight + slope * (othersNow - s.others / s.weight)]),
    );
    return {
      acceptance,
      draftMsPerToken,
      // What was measured at this window, moved by the batch's change; the line for windows not tried (lately).
      verifyMs: (window) =>
        Math.max(0, perWindow.get(window) ?? intercept + slope * (tokensOfWindow(window) + othersNow)),
      roundTripMs: this.network.weight > 0 ? this.network.sum / this.network.weight : 0,
    };
  }
}
