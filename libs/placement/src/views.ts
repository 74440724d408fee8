import type { PairingDecision, WorkerView } from "#pairing";

/** A worker with one session fewer: one copy, in libs/pairing, which the policies use too. */
export { withoutSession } from "#pairing";

/** The workers by id and the drafters among them: where a pass finds the workers a decision names. */
export interface ViewIndex {
  byId: ReadonlyMap<string, WorkerView>;
  drafters: readonly WorkerView[];
}

/**
 * Indexes the views. A pass builds one per call; a caller that keeps its views across passes
 * (DSD-Sim's live views) builds it once and passes it along.
 */
export function indexViews(views: readonly WorkerView[]): ViewIndex {
  return { byId: new Map(views.map((w) => [w.id, w])), drafters: views.filter((w) => w.role === "drafter") };
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
