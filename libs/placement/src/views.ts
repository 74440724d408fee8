import type { PairingDecision, WorkerView } from "#pairing";

/**
 * A worker as a decision about one of its own sessions should see it: that session's slot
 * counted free (finding a running session a new drafter, or weighing whether it should move).
 */
export function withoutSession(view: WorkerView): WorkerView {
  return { ...view, activeSessions: Math.max(0, view.activeSessions - 1) };
}

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
