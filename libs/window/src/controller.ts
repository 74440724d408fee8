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
  return roundRate(
    expectedTokensPerRound(window, e.acceptance),
    window,
    e.draftMsPerToken,
    e.verifyMs(window),
    e.roundTripMs,
    e.acceptance,
    e.pipelined ?? false,
  );
}

/** Tokens per second of rounds committing `tokens` on average, drafting γ, verifying in `verifyMs`. */
function roundRate(
  tokens: number,
  window: number,
  draftMsPerToken: number,
  verifyMs: number,
  roundTripMs: number,
  acceptance: number,
  pipelined: boolean,
): number {
  const draftMs = window * draftMsPerToken;
  const waitMs = verifyMs + roundTripMs;
  // Pipelined: when the whole window and the guessed bonus are accepted (≈ α^(γ+1)), the next
  // window was drafted while this round's verify and round trip were under way.
  const hiddenMs = pipelined && window > 0 ? acceptance ** (window + 1) * Math.min(draftMs, waitMs) : 0;
  return (1000 * tokens) / (draftMs + waitMs - hiddenMs);
}

/**
 * `bestWindow(…).tokensPerSecond` when the verify cost is a line, a + b·(γ + 1): the same
 * arithmetic (so the same decisions, to the bit) without building estimates, and with
 * E(γ, α) tabled per α. A pairing policy predicts about a thousand pairs per decision on a
 * large fleet (libs/pairing), and DSD-Sim makes a hundred thousand decisions.
 */
export function bestRateOnLine(
  acceptance: number,
  draftMsPerToken: number,
  a: number,
  b: number,
  roundTripMs: number,
  pipelined: boolean,
  maxWindow: number,
): number {
  // Positional, not an object: called a thousand times per decision, it must not allocate.
  const tokens = tokensTable(acceptance, maxWindow);
  let best = -Infinity;
  for (let window = 0; window <= maxWindow; window++) {
    const tokensPerSecond = roundRate(
      tokens[window]!,
      window,
      draftMsPerToken,
      a + b * (window + 1),
      roundTripMs,
      acceptance,
      pipelined,
    );
    if (window === 0 || tokensPerSecond > best) best = tokensPerSecond;
  }
  return best;
}

/** E(γ, α) for γ = 0..maxWindow, for the few α in use lately. */
function tokensTable(acceptance: number, maxWindow: number): Float64Array {
  if (acceptance === lastTokens.acceptance && lastTokens.table.length > maxWindow) return lastTokens.table;
  let table = tokensTables.get(acceptance);
  if (!table || table.length <= maxWindow) {
    if (tokensTables.size >= 16) tokensTables.clear();
    table = Float64Array.from({ length: maxWindow + 1 }, (_, window) => expectedTokensPerRound(window, acceptance));
    tokensTables.set(acceptance, table);
  }
  lastTokens = { acceptance, table };
  return table;
}
const tokensTables = new Map<number, Float64Array>();
let lastTokens: { acceptance: number; table: Float64Array } = { acceptance: Number.NaN, table: new Float64Array(0) };

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
