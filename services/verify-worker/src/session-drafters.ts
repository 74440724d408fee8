import type { DrafterLeft, ReplyOf, VerifierAttach } from "#contracts";
import type { Logger } from "#logging";
import type { RoundRunner } from "./round-runner.js";
import type { SessionTable } from "./session-table.js";

/**
 * Which drafter follows each session: one is attached (by the scheduler) to a session decoding
 * alone; one that detaches, or falls silent, leaves the session to be decoded alone (target-only).
 */
export class SessionDrafters {
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
  attach(sessionId: string, drafterId: string): ReplyOf<typeof VerifierAttach> {
    const session = this.table.get(sessionId);
    if (!session)
      return { ok: false, error: { code: "session_lost", message: `no session ${sessionId} on ${this.verifierId}` } };
    if (!session.alone)
      return {
        ok: false,
        error: { code: "bad_request", message: `session ${sessionId} already has drafter ${session.drafterId}` },
      };
    session.alone = false;
    session.drafterId = drafterId;
    session.lastDrafterAt = Date.now();
    this.log.info({ sessionId, drafterId }, "drafter attached");
    return {
      ok: true,
      committedTokens: session.model.ledger.committedTokens(),
      maxTokens: session.maxTokens,
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
    by: "scheduler" | "drafter" | "silence",
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
