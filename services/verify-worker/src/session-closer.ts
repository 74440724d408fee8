import { MAX_END_REASON_CHARS, WorkerClose, type ReplyOf, type SessionEnded, type VerifierRelease } from "#contracts";
import type { JournalEntry, SessionEnd } from "#journal";
import type { Logger } from "#logging";
import type { ContractBus } from "#transport";
import type { SessionLog } from "./session-log.js";
import type { SessionTable } from "./session-table.js";
import type { VerifierSession } from "./verifier-session.js";

/** Why a session ends with an error when its journal stops taking its tokens. */
export const JOURNAL_LOST = "the session journal is unavailable, so the session could not go on safely";

/** How a session ends, as its caller knows it (the token count is the session's own). */
export type Ending = Omit<SessionEnd, "generatedTokens">;

/**
 * How a session stops running on this verifier. It ends (finished, cancelled, failed): its end is
 * journalled and published, so its client learns of it at once and a replay or a late resume
 * sees it too; or it is let go (drained, or taken over by another verifier): no end, the journal
 * kept for whoever goes on with it. Every method runs under the session's lock.
 */
export class SessionCloser {
  constructor(
    private readonly table: SessionTable,
    private readonly stream: SessionLog,
    private readonly bus: ContractBus,
    private readonly log: Logger,
    private readonly verifierId: string,
    /** Tells the scheduler (the session's placement) how the session ended. */
    private readonly reportEnded: (ended: SessionEnded) => void,
  ) {}

  /** The scheduler (or an operator) cancels a session: it ends, and its client learns why. */
  async cancel(sessionId: string, reason: string): Promise<boolean> {
    const session = this.table.get(sessionId);
    if (!session) return false;
    await this.end(session, { finishReason: "cancelled", reason });
    return true;
  }

  /**
   * Ends a session: journals and publishes its end (with any held-back text), frees its
   * sequence, tells its drafter and the scheduler. `journal: false` when the journal is what
   * failed: the end is published without waiting for it again.
   */
  async end(
    session: VerifierSession,
    ending: Ending,
    options: { journal: boolean } = { journal: true },
  ): Promise<void> {
    if (!this.table.holds(session)) return;
    // The end goes after every token: the rounds' writes first, then the tokens held back.
    await session.journal.settled();
    let journal = options.journal && !session.journal.stopped;
    if (journal) {
      const delivered = await this.deliverHeld(session);
      if (delivered === "moved") return this.letGo(session);
      if (delivered === "failed") {
        ending = { finishReason: "error", reason: JOURNAL_LOST };
        journal = false;
      }
    }
    // Tokens whose write did not land (or never went) were never published: the end does not count them.
    if (!journal) session.generated.length = session.journalledTokens;
    const end: SessionEnd = { finishReason: ending.finishReason, generatedTokens: session.generated.length };
    if (ending.reason !== undefined) end.reason = ending.reason.slice(0, MAX_END_REASON_CHARS);
    const entry: JournalEntry = {
      index: session.generated.length,
      tokens: [],
      text: session.text.delta(session.generated, true),
      end,
    };
    if (journal) {
      try {
        if (!(await this.stream.write(session.id, entry, session.journalEntries))) return this.letGo(session);
        session.journalEntries++;
      } catch (err) {
        // An end adds no token a resume would have to reproduce: the client hears of it anyway.
        this.log.warn({ sessionId: session.id, err: String(err) }, "could not journal the session's end");
        this.stream.publish(session.id, entry);
      }
    } else this.stream.publish(session.id, entry);
    await this.dispose(session);
    this.stream.finish(session.id);
    this.stopDrafter(session, ending.finishReason);
    this.report(session, ending.finishReason);
    session.trace?.end(session, ending.finishReason, ending.reason);
  }

  /** Lets go of a session for another verifier to resume (drain): no end event, journal kept. */
  async release(sessionId: string, reason: string): Promise<ReplyOf<typeof VerifierRelease>> {
    const session = this.table.get(sessionId);
    if (!session) return { released: false, position: null };
    // Whoever resumes it reads the journal: the rounds' writes land first, and the tokens held back.
    await session.journal.settled();
    if (!session.journal.stopped) await this.deliverHeld(session);
    await this.dispose(session);
    session.trace?.end(session, "released", reason);
    this.log.info({ sessionId, reason, generated: session.generated.length }, "session released");
    return { released: true, position: session.model.position };
  }

  /** Another verifier took the session over while this one was cut off: let go without a word. */
  async letGo(session: VerifierSession): Promise<void> {
    this.log.warn({ sessionId: session.id }, "another verifier has taken the session over; letting go");
    await this.release(session.id, "taken over");
  }

  /**
   * Journals, then publishes, the tokens a batched session still holds back (token-delivery.ts).
   * `moved`: another verifier has taken the session over; `failed`: the journal did not take them,
   * and nothing of them is published. Either way the journal takes nothing more from this session.
   */
  private async deliverHeld(session: VerifierSession): Promise<"delivered" | "moved" | "failed"> {
    const held = session.delivery.take();
    if (!held) return "delivered";
    try {
      if (await this.stream.write(session.id, held, session.journalEntries)) {
        session.journalEntries++;
        session.journalledTokens = held.index + held.tokens.length;
        return "delivered";
      }
      session.journal.stop();
      return "moved";
    } catch (err) {
      this.log.warn({ sessionId: session.id, err: String(err) }, "could not journal the tokens held back");
      session.journal.stop();
      return "failed";
    }
  }

  private async dispose(session: VerifierSession): Promise<void> {
    this.table.remove(session);
    session.finished = true;
    await session.model.dispose();
  }

  /** A drafter learns of a normal finish from the round's reply; of anything else, from its verifier. */
  private stopDrafter(session: VerifierSession, finishReason: SessionEnd["finishReason"]): void {
    if (session.alone || !session.drafterId || finishReason === "stop" || finishReason === "length") return;
    this.bus
      .request(WorkerClose, session.drafterId, { sessionId: session.id, reason: finishReason }, 2000)
      .catch(() => undefined);
  }

  private report(session: VerifierSession, finishReason: SessionEnd["finishReason"]): void {
    this.reportEnded({
      sessionId: session.id,
      verifierId: this.verifierId,
      drafterId: session.drafterId,
      finishReason,
      generatedTokens: session.generated.length,
      rounds: session.rounds,
      draftedTokens: session.drafted,
      acceptedTokens: session.accepted,
    });
    const acceptance = session.drafted ? session.accepted / session.drafted : null;
    this.log.info(
      {
        sessionId: session.id,
        finishReason,
        generated: session.generated.length,
        rounds: session.rounds,
        acceptance,
        // Never speculated: no drafter followed it at the end, and nothing was drafted for it (here or remotely).
        targetOnly: session.alone && session.drafted === 0,
      },
      "session ended",
    );
  }
}
