import type { LinkStats } from "#contracts";
import { RoundEstimator } from "#window";

/** What rounds taught a drafter about each verifier it works with (acceptance, costs, network). */
export class VerifierLinks {
  private readonly estimators = new Map<string, RoundEstimator>();

  /** A verifier's estimator, shared by the sessions drafted for it; a new one starts from the verifier's profile. */
  estimator(verifierId: string, verifierProfile?: ReadonlyArray<{ window: number; ms: number }>): RoundEstimator {
    let estimator = this.estimators.get(verifierId);
    if (!estimator) {
      estimator = new RoundEstimator();
      if (verifierProfile) estimator.prime(verifierProfile);
      this.estimators.set(verifierId, estimator);
    }
    return estimator;
  }

  /** Per verifier: the network's share of a round and the acceptance, lately. */
  stats(): LinkStats[] {
    return [...this.estimators].flatMap(([verifierId, estimator]) => {
      const e = estimator.estimates();
      return e
        ? [{ verifierId, roundTripMs: e.roundTripMs, acceptance: e.acceptance, rounds: estimator.observedRounds }]
        : [];
    });
  }
}
