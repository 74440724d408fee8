import { type PairingContext, type PairingPolicy, type WorkerView } from "#pairing";
import { indexViews, withoutSession, type ViewIndex } from "./views.js";

/** A running session decoding alone at its verifier that would take a drafter. */
export interface AloneSession {
  sessionId: string;
  model: string;
  verifierId: string;
}

export interface Attachment<S> {
  session: S;
  drafterId: string;
}

/**
 * Gives drafters to sessions decoding alone, oldest first: for each, the pairing policy chooses
 * among its own verifier (its slot counted free) and the drafters; a `pair` takes the drafter's
 * slot on `views` before the next session asks. Stops when no drafter has room. A session the
 * policy leaves alone (load-aware: faster so) stays alone, and so do the sessions of its model
 * at its verifier until a pair changes the views: theirs is the same question, and a policy's
 * answer other than `pair` is a function of the question (the stateful policies move only when
 * they pair: round-robin's turn, random's draws). `index`: the views' own, when the caller keeps
 * one (else built for the call).
 */
export function attachDrafters<S extends AloneSession>(
  alone: Iterable<S>,
  views: WorkerView[],
  policy: PairingPolicy,
  context: PairingContext,
  index: ViewIndex = indexViews(views),
): Attachment<S>[] {
  const attachments: Attachment<S>[] = [];
  const { byId, drafters } = index;
  // Questions answered other than `pair` since the views last changed: the same question again
  // (another session of the model at that verifier) gets the same answer, so it is not put.
  const declined = new Set<string>();
  for (const session of alone) {
    if (!drafters.some((d) => d.ready && d.activeSessions < d.maxSessions)) break;
    const verifier = byId.get(session.verifierId);
    if (!verifier) continue;
    const question = `${session.verifierId} ${session.model}`;
    if (declined.has(question)) continue;
    const decision = policy([withoutSession(verifier), ...drafters], { model: session.model }, context);
    if (decision.kind !== "pair") {
      declined.add(question);
      continue;
    }
    byId.get(decision.drafterId)!.activeSessions++;
    declined.clear();
    attachments.push({ session, drafterId: decision.drafterId });
  }
  return attachments;
}
