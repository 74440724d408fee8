import { aloneRate, bestWindow, WindowController } from "./controller.js";
import { RoundEstimator, type RoundObservation } from "./estimator.js";

/** A session's window choice: asked before every round, told how every round went. */
export interface WindowPolicy {
  next(): number;
  observe(round: RoundObservation): void;
  /** True when the verifier alone would now be faster than any window: give the session back. */
  handBack(): boolean;
  /**
   * A stopping rule inside the window (SpecDec++-style): asked after each drafted token with
   * the estimated probability that it will be accepted; false ends the window there. Absent:
   * the drafter drafts the whole window.
   */
  keepDrafting?(drafted: number, acceptProbability: number): boolean;
}

/**
 * Window policies by the name configuration uses (DSD-Sim's `policies.window.policy`, the
 * `windowPolicy` a drafter registers with): declared here once, imported by libs/config,
 * libs/contracts and libs/sim.
 */
export const WINDOW_POLICY_NAMES = ["fixed", "adaptive", "backoff", "specdec"] as const;
export type WindowPolicyName = (typeof WINDOW_POLICY_NAMES)[number];

/**
 * The ones a draft-worker offers (`WINDOW_POLICY`): `specdec` stops on a per-token acceptance
 * estimate, which a drafter's single `draft()` call does not give yet.
 */
export const DRAFTER_WINDOW_POLICY_NAMES = [
  "fixed",
  "adaptive",
  "backoff",
] as const satisfies readonly WindowPolicyName[];

export interface AdaptiveOptions {
  /** The drafter pipelines: a fully accepted round's next window costs no drafting time. */
  pipelined?: boolean;
  /** Rounds of the pair seen before the controller takes over from `initial`. */
  warmup?: number;
  /** Rounds running in which the verifier alone beats every window before handing back. */
  handBackAfter?: number;
  /**
   * Rounds of the pair seen before a hand-back is considered: a hand-back is for good, and the
   * first rounds' estimates are noisy (DSD-Sim found sessions handed back on a dozen rounds
   * whose acceptance looked half what it was).
   */
  handBackEvidence?: number;
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
  { pipelined = false, warmup = 3, handBackAfter = 5, handBackEvidence = 24 }: AdaptiveOptions = {},
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
      const alone =
        estimates !== null &&
        estimator.observedRounds >= handBackEvidence &&
        aloneRate(estimates) > bestWindow(estimates, max).tokensPerSecond * 1.05;
      aloneWins = alone ? aloneWins + 1 : 0;
    },
    handBack: () => aloneWins >= handBackAfter,
  };
}

/**
 * Acceptance back-off (additive increase, multiplicative decrease, as TCP's window): a round
 * whose every draft token was accepted grows γ by one, up to `max`; a round cut short halves
 * it, down to `min`.
 */
export function backoffWindow(initial: number, max: number, min = 1): WindowPolicy {
  let window = Math.max(min, Math.min(initial, max));
  return {
    next: () => window,
    observe: (round) => {
      window = round.accepted >= round.window ? Math.min(max, window + 1) : Math.max(min, Math.floor(window / 2));
    },
    handBack: () => false,
  };
}

/**
 * A SpecDec++-style stopping rule (Huang, Guo, Wang 2024): draft up to `max` tokens, but stop
 * as soon as the probability that at least one token of the window so far will be rejected
 * exceeds `threshold`, i.e. when 1 − Π p_i > h for the per-token acceptance estimates p_i. The
 * paper predicts p_i with a trained head; a drafter here, and DSD-Sim, pass their own estimate.
 */
export function specDecWindow(max: number, threshold = 0.5): WindowPolicy {
  let allAccepted = 1;
  return {
    next: () => {
      allAccepted = 1;
      return max;
    },
    observe: () => undefined,
    handBack: () => false,
    keepDrafting: (_drafted, acceptProbability) => {
      allAccepted *= Math.min(1, Math.max(0, acceptProbability));
      return 1 - allAccepted <= threshold;
    },
  };
}

export interface WindowPolicyOptions extends AdaptiveOptions {
  /** specdec: the rejection probability at which a window stops. */
  stopThreshold?: number;
}

export function windowPolicy(
  name: WindowPolicyName,
  initial: number,
  max: number,
  estimator?: RoundEstimator,
  options: WindowPolicyOptions = {},
): WindowPolicy {
  switch (name) {
    case "adaptive":
      return adaptiveWindow(initial, max, estimator, options);
    case "backoff":
      return backoffWindow(initial, max);
    case "specdec":
      return specDecWindow(max, options.stopThreshold);
    case "fixed":
      return fixedWindow(initial);
  }
}
