import { WindowController } from "./controller.js";
import { RoundEstimator, type RoundObservation } from "./estimator.js";

/** A session's window choice: asked before every round, told how every round went. */
export interface WindowPolicy {
  next(): number;
  observe(round: RoundObservation): void;
}

export type WindowPolicyName = "fixed" | "adaptive";

/** γ never changes. */
export function fixedWindow(window: number): WindowPolicy {
  return { next: () => window, observe: () => undefined };
}

/**
 * Adaptive Window Control: starts at `initial`, and once `warmup` rounds have been seen picks
 * γ ∈ [0, max] maximising expected committed tokens per second (see controller.ts).
 */
export function adaptiveWindow(initial: number, max: number, warmup = 3): WindowPolicy {
  const estimator = new RoundEstimator();
  const controller = new WindowController(Math.min(initial, max), max);
  return {
    next: () => {
      const estimates = estimator.observedRounds >= warmup ? estimator.estimates() : null;
      return estimates ? controller.next(estimates) : controller.window;
    },
    observe: (round) => estimator.observe(round),
  };
}

export function windowPolicy(name: WindowPolicyName, initial: number, max: number): WindowPolicy {
  return name === "adaptive" ? adaptiveWindow(initial, max) : fixedWindow(initial);
}
