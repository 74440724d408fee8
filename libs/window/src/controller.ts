import { expectedTokensPerRound } from "./expected-tokens.js";

/** What the controller knows about one session's pair right now. */
export interface WindowEstimates {
  /** Per-token acceptance α in [0, 1]. */
  acceptance: number;
  /** The drafter's ms per drafted token. */
  draftMsPerToken: number;
  /** The verifier's ms for a window of γ (one forward pass over γ + 1 tokens). */
  verifyMs: (window: number) => number;
  /** Network round trip drafter ↔ verifier, ms. */
  roundTripMs: number;
  /** The drafter drafts the next window while a verify is in flight (DRAFT_PIPELINE). */
  pipelined?: boolean;
}

export interface WindowChoice {
  window: number;
  /** Expected committed tokens per second at that window. */
  tokensPerSecond: number;
}

/**
 * The window that maximises expected committed tokens per second: E(γ, α) tokens for a round
 * costing γ draft steps, one verify pass of γ + 1 tokens and one network round trip. γ = 0
 * (target-only) is a candidate. Pure: the same function runs in the drafter and in DSD-Sim.
 */
export function bestWindow(estimates: WindowEstimates, maxWindow: number): WindowChoice {
  let best: WindowChoice = { window: 0, tokensPerSecond: rate(0, estimates) };
  for (let window = 1; window <= maxWindow; window++) {
    const tokensPerSecond = rate(window, estimates);
    if (tokensPerSecond > best.tokensPerSecond) best = { window, tokensPerSecond };
  }
  return best;
}

/**
 * Tokens per second if the verifier decoded the session alone: one forward pass per token, no
 * network round trip (what γ = 0 through the drafter cannot offer).
 */
export function aloneRate(e: WindowEstimates): number {
  return 1000 / Math.max(e.verifyMs(0), 1e-6);
}

export function rate(window: number, e: WindowEstimates): number {
  const draftMs = window * e.draftMsPerToken;
  const waitMs = e.verifyMs(window) + e.roundTripMs;
  // Pipelined: when the whole window and the guessed bonus are accepted (≈ α^(γ+1)), the next
  // window was drafted while this round's verify and round trip were under way.
  const hiddenMs = e.pipelined && window > 0 ? e.acceptance ** (window + 1) * Math.min(draftMs, waitMs) : 0;
  return (1000 * expectedTokensPerRound(window, e.acceptance)) / (draftMs + waitMs - hiddenMs);
}

/**
 * Adaptive Window Control with hysteresis: move to a new window only when it promises at least
 * `switchGain` more tokens per second than the current one, so noisy estimates do not make γ
 * oscillate.
 */
export class WindowController {
  private current: number;
  private roundsAtZero = 0;

  /**
   * `probeEvery`: at γ = 0 nothing new is learnt about acceptance, so every that many rounds
   * one round drafts a single token to find out whether speculation pays again.
   */
  constructor(
    initial: number,
    private readonly maxWindow: number,
    private readonly switchGain = 0.05,
    private readonly probeEvery = 16,
  ) {
    this.current = initial;
  }

  get window(): number {
    return this.current;
  }

  next(estimates: WindowEstimates): number {
    const best = bestWindow(estimates, this.maxWindow);
    const now = rate(this.current, estimates);
    if (best.window !== this.current && best.tokensPerSecond > now * (1 + this.switchGain)) this.current = best.window;
    if (this.current > 0) {
      this.roundsAtZero = 0;
      return this.current;
    }
    this.roundsAtZero++;
    return this.roundsAtZero % this.probeEvery === 0 ? Math.min(1, this.maxWindow) : 0;
  }
}
