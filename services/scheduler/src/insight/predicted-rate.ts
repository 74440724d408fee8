import {
  predictAloneRate,
  predictPairRate,
  withoutSession,
  type LoadAwareTuning,
  type PairingContext,
  type PairingDecision,
  type WorkerView,
} from "#pairing";

/**
 * The committed tokens/s load-aware predicts for a new session placed as `decision` says, on the
 * views the policy decided on (before the placement took its slots): `predictPairRate` for a
 * pair, `predictAloneRate` for the verifier alone. Whatever policy chose, the prediction is
 * load-aware's (the "rate load-aware predicted against the rate achieved"). Null for a
 * decision that places nothing, or a worker not in the views.
 */
export function predictedRate(
  decision: PairingDecision,
  views: readonly WorkerView[],
  context: PairingContext,
  tuning: LoadAwareTuning,
): number | null {
  if (decision.kind !== "pair" && decision.kind !== "alone") return null;
  const verifier = views.find((w) => w.id === decision.verifierId);
  if (!verifier) return null;
  if (decision.kind === "alone") return predictAloneRate(verifier, tuning, context);
  const drafter = views.find((w) => w.id === decision.drafterId);
  return drafter ? predictPairRate({ verifier, drafter }, context, tuning) : null;
}

/**
 * The rate predicted for a session already running where it is (after a drafter was attached or
 * lost): as for a new session on that pair, the session's own slots not counted as load (as the
 * rebalancer predicts a session's current pair).
 */
export function predictedRateInPlace(
  place: { verifierId: string; drafterId: string | null },
  views: readonly WorkerView[],
  context: PairingContext,
  tuning: LoadAwareTuning,
): number | null {
  const own = (id: string) => {
    const view = views.find((w) => w.id === id);
    return view && withoutSession(view);
  };
  const verifier = own(place.verifierId);
  if (!verifier) return null;
  if (place.drafterId === null) return predictAloneRate(verifier, tuning, context);
  const drafter = own(place.drafterId);
  return drafter ? predictPairRate({ verifier, drafter }, context, tuning) : null;
}
