import { SessionStream, type RemoteError } from "#contracts";
import type { JournalEntry, SessionHeader, SessionJournal, SessionRecord } from "#journal";
import type { Logger } from "#logging";
import type { ContractBus } from "#transport";

/**
 * A session's event stream as the verifier writes it: each tokens event (and the end) is
 * journalled first and published after, so whatever a client saw another verifier can go on
 * from; journalled events can be published again on request. A journal write that fails (Redis
 * away for long) costs the session its resumability, not its answer.
 */
export class SessionLog {
  constructor(
    private readonly journal: SessionJournal,
    private readonly bus: ContractBus,
    private readonly log: Logger,
    /** This verifier: the journal's owner of the sessions it writes. */
    private readonly owner: string,
  ) {}

  async begin(header: SessionHeader): Promise<void> {
    await this.safely(header.sessionId, () => this.journal.begin(header, this.owner), undefined);
  }

  /** Takes a session over: from now on only this verifier may write it. */
  async claim(sessionId: string): Promise<void> {
    await this.safely(sessionId, () => this.journal.claim(sessionId, this.owner), undefined);
  }

  read(sessionId: string): Promise<SessionRecord | null> {
    return this.journal.read(sessionId).catch((err: unknown) => {
      this.log.error({ sessionId, err: String(err) }, "could not read the session's journal");
      return null;
    });
  }

  /**
   * Journals, then publishes; false when another verifier has taken the session over (this one
   * was cut off and presumed lost): nothing is written or published, and the caller lets go.
   */
  async write(sessionId: string, entry: JournalEntry): Promise<boolean> {
    const ours = await this.safely(sessionId, () => this.journal.append(sessionId, entry, this.owner), true);
    if (ours) this.publish(sessionId, entry);
    return ours;
  }

  /** A journal entry as its event: tokens, or the end. */
  publish(sessionId: string, entry: JournalEntry): void {
    if (entry.end) {
      this.bus.publish(SessionStream, sessionId, {
        kind: "end",
        sessionId,
        finishReason: entry.end.finishReason,
        generatedTokens: entry.end.generatedTokens,
        text: entry.text,
      });
    } else if (entry.tokens.length > 0) {
      this.bus.publish(SessionStream, sessionId, {
        kind: "tokens",
        sessionId,
        index: entry.index,
        tokens: entry.tokens,
        text: entry.text,
      });
    }
  }

  publishError(sessionId: string, error: RemoteError): void {
    this.bus.publish(SessionStream, sessionId, { kind: "error", sessionId, error });
  }

  /** Publishes again the journalled events from `fromIndex` on (readers drop what they have); returns how many. */
  async replay(sessionId: string, fromIndex: number): Promise<number> {
    const record = await this.read(sessionId);
    const entries = record?.entries.filter((e) => e.index >= fromIndex) ?? [];
    for (const entry of entries) this.publish(sessionId, entry);
    if (entries.length > 0)
      this.log.info({ sessionId, fromIndex, events: entries.length }, "replayed journalled events");
    return entries.length;
  }

  /** The session ended: its journal expires after a while. */
  finish(sessionId: string): void {
    this.journal
      .finish(sessionId)
      .catch((err: unknown) =>
        this.log.warn({ sessionId, err: String(err) }, "could not expire the session's journal"),
      );
  }

  private async safely<T>(sessionId: string, write: () => Promise<T>, otherwise: T): Promise<T> {
    try {
      return await write();
    } catch (err) {
      this.log.warn(
        { sessionId, err: String(err) },
        "could not journal the session; it goes on, but could not be resumed elsewhere",
      );
      return otherwise;
    }
  }
}
