import type { DrafterLeft, ModelDescriptor, ReplyOf, VerifierAttach } from "#contracts";
import type { Logger } from "#logging";
import type { RoundRunner } from "./round-runner.js";
import type { SessionTable } from "./session-table.js";

/**
 * Which drafter follows each session: one is attached (by the scheduler) to a session decoding
 * alone; one that detaches, or falls silent, leaves the session to be decoded alone (target-only).
 * A drafter the audit caught lying is refused: detached from every session, never attached again.
 */
export class SessionDrafters {
  private readonly refused = new Map<string, string>();

  constructor(
    private readonly table: SessionTable,
    private readonly rounds: RoundRunner,
    private readonly log: Logger,
    private readonly verifierId: string,
    private readonly silenceMs: number,
    /** Tells the scheduler of a drafter that left on its own (its table frees the slot). */
    private readonly tellScheduler: (left: DrafterLeft) => void,
  ) {}

  /** A session decoding alone takes a drafter again (under its lock: no alone round is in flight). */
  attach(sessionId: string, drafterId: string, drafterModel?: ModelDescriptor): ReplyOf<typeof VerifierAttach> {
    const session = this.table.get(sessionId);
    if (!session)
      return { ok: false, error: { code: "session_lost", message: `no session ${sessionId} on ${this.verifierId}` } };
    const refused = this.refused.get(drafterId);
    if (refused !== undefined)
      return { ok: false, error: { code: "bad_request", message: `drafter ${drafterId} is refused here: ${refused}` } };
    if (!session.alone)
      return {
        ok: false,
        error: { code: "bad_request", message: `session ${sessionId} already has drafter ${session.drafterId}` },
      };
    session.alone = false;
    session.drafterId = drafterId;
    session.drafterModel = drafterModel ?? null;
    session.lastDrafterAt = Date.now();
    this.log.info({ sessionId, drafterId }, "drafter attached");
    return {
      ok: true,
      committedTokens: session.model.ledger.committedTokens(),
      maxTokens: session.maxTokens - session.generated.length,
      sampling: session.sampling,
    };
  }

  /**
   * The drafter stopped following the session: finish it alone (target-only). Unless the
   * scheduler asked (it knows), the scheduler is told.
   */
  detach(
    sessionId: string,
    drafterId: string,
    reason: string,
    by: "scheduler" | "drafter" | "silence" | "audit",
    fasterAlone = false,
  ): boolean {
    const session = this.table.get(sessionId);
    if (!session || session.alone || session.drafterId !== drafterId) return false;
    session.alone = true;
    this.log.warn({ sessionId, drafterId, reason, by }, "drafter detached; continuing target-only");
    void this.rounds.decodeAlone(session);
    if (by !== "scheduler")
      this.tellScheduler({ sessionId, verifierId: this.verifierId, drafterId, fasterAlone, reason });
    return true;
  }

  /**
   * The audit caught this drafter lying: every session it drafts for goes on alone (the scheduler
   * is told of each), and it is never attached here again. Returns how many sessions it left.
   */
  refuse(drafterId: string, reason: string): number {
    this.refused.set(drafterId, reason);
    let left = 0;
    for (const session of this.table.all())
      if (session.drafterId === drafterId && this.detach(session.id, drafterId, reason, "audit")) left++;
    return left;
  }

  /** Sessions whose drafter sent no round for too long go on alone. */
  dropSilent(): void {
    const now = Date.now();
    for (const session of this.table.all()) {
      if (!session.alone && session.drafterId && now - session.lastDrafterAt > this.silenceMs) {
        this.detach(session.id, session.drafterId, `no round for ${now - session.lastDrafterAt} ms`, "silence");
      }
    }
  }
}
