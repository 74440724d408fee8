import { aloneRate, bestWindow, WindowController } from "./controller.js";
import { RoundEstimator, type RoundObservation } from "./estimator.js";

/** A session's window choice: asked before every round, told how every round went. */
export interface WindowPolicy {
  next(): number;
  observe(round: RoundObservation): void;
  /** True when the verifier alone would now be faster than any window: give the session back. */
  handBack(): boolean;
}

export type WindowPolicyName = "fixed" | "adaptive";

export interface AdaptiveOptions {
  /** The drafter pipelines: a fully accepted round's next window costs no drafting time. */
  pipelined?: boolean;
  /** Rounds of the pair seen before the controller takes over from `initial`. */
  warmup?: number;
  /** Rounds running in which the verifier alone beats every window before handing back. */
  handBackAfter?: number;
}

/** γ never changes. */
export function fixedWindow(window: number): WindowPolicy {
  return { next: () => window, observe: () => undefined, handBack: () => false };
}

/**
 * Adaptive Window Control: starts at `initial`, and once `warmup` rounds have been seen picks
 * γ ∈ [0, max] maximising expected committed tokens per second (see controller.ts). Pass the
 * estimator of the drafter–verifier pair to share what earlier sessions learnt: a session of a
 * few dozen rounds is too short to learn the costs alone.
 */
export function adaptiveWindow(
  initial: number,
  max: number,
  estimator = new RoundEstimator(),
  { pipelined = false, warmup = 3, handBackAfter = 5 }: AdaptiveOptions = {},
): WindowPolicy {
  const controller = new WindowController(Math.min(initial, max), max);
  let aloneWins = 0;
  const ready = () => {
    const estimates = estimator.observedRounds >= warmup ? estimator.estimates() : null;
    return estimates && { ...estimates, pipelined };
  };
  return {
    next: () => {
      const estimates = ready();
      return estimates ? controller.next(estimates) : controller.window;
    },
    observe: (round) => {
      estimator.observe(round);
      const estimates = ready();
      // The verifier alone must beat the best window by the switching margin, several rounds running.
      const alone = estimates !== null && aloneRate(estimates) > bestWindow(estimates, max).tokensPerSecond * 1.05;
      aloneWins = alone ? aloneWins + 1 : 0;
    },
    handBack: () => aloneWins >= handBackAfter,
  };
}

export function windowPolicy(name: WindowPolicyName, initial: number, max: number, estimator?: RoundEstimator, options?: AdaptiveOptions): WindowPolicy {
  return name === "adaptive" ? adaptiveWindow(initial, max, estimator, options) : fixedWindow(initial);
}
