import type { PairingDecision, WorkerView } from "#pairing";

/** A worker with one session fewer: one copy, in libs/pairing, which the policies use too. */
export { withoutSession } from "#pairing";

/** The workers by id, for taking slots as a pass places requests. */
export function indexViews(views: readonly WorkerView[]): Map<string, WorkerView> {
  return new Map(views.map((w) => [w.id, w]));
}

/**
 * A placement takes its slots on the pass's working copy of the fleet, so the next decision of
 * the same pass sees them taken (the views belong to the caller: fresh copies in the scheduler,
 * the simulator's own live views).
 */
export function takeSlots(byId: ReadonlyMap<string, WorkerView>, decision: PairingDecision): void {
  if (decision.kind !== "pair" && decision.kind !== "alone") return;
  const verifier = byId.get(decision.verifierId);
  if (verifier) verifier.activeSessions++;
  if (decision.kind === "pair") {
    const drafter = byId.get(decision.drafterId);
    if (drafter) drafter.activeSessions++;
  }
}
