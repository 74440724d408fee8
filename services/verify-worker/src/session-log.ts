import type { SessionEvent } from "#contracts";
import {
  JournalCorruptError,
  JournalGapError,
  type JournalEntry,
  type SessionHeader,
  type SessionJournal,
  type SessionRecord,
} from "#journal";
import type { Logger } from "#logging";

/** Where a session's events go: the bus in the verifier, a recorder in tests. */
export interface SessionEventSink {
  publish(sessionId: string, event: SessionEvent): void;
}

/** The journal stayed unreachable for the whole of its patience: the session cannot go on safely. */
export class JournalUnavailableError extends Error {
  constructor(
    readonly sessionId: string,
    patienceMs: number,
    cause: unknown,
  ) {
    super(`the session journal did not answer within ${patienceMs} ms (${String(cause)})`);
    this.name = "JournalUnavailableError";
  }
}

/** How long a journal call is retried (a restarting redis-server) before it is given up. */
export interface JournalPatience {
  totalMs: number;
  firstBackoffMs: number;
  maxBackoffMs: number;
}
export const DEFAULT_JOURNAL_PATIENCE: JournalPatience = { totalMs: 5000, firstBackoffMs: 50, maxBackoffMs: 1000 };

/**
 * A session's event stream as the verifier writes it: journalled before published. Each tokens
 * event, and the end, is appended to the journal first and published only once the journal has
 * it, so whatever a client saw another verifier can go on from, and nothing is published that a
 * resume could not reproduce. A journal that does not answer is retried for a while (a Redis
 * restart); after that the write fails (JournalUnavailableError) and publishes nothing.
 */
export class SessionLog {
  constructor(
    private readonly journal: SessionJournal,
    private readonly events: SessionEventSink,
    private readonly log: Logger,
    /** This verifier: the journal's owner of the sessions it writes. */
    private readonly owner: string,
    private readonly patience: JournalPatience = DEFAULT_JOURNAL_PATIENCE,
  ) {}

  /** Journals a new session's header, this verifier its owner. */
  begin(header: SessionHeader): Promise<void> {
    return this.persist(header.sessionId, () => this.journal.begin(header, this.owner));
  }

  /** Takes a session over: from now on only this verifier may write it. */
  claim(sessionId: string): Promise<void> {
    return this.persist(sessionId, () => this.journal.claim(sessionId, this.owner));
  }

  /** The session's record, waiting out a short outage. */
  read(sessionId: string): Promise<SessionRecord | null> {
    return this.persist(sessionId, () => this.journal.read(sessionId));
  }

  /**
   * Journals `entry` as the session's entry number `at`, then publishes it. False when another
   * verifier has taken the session over (this one was cut off and presumed lost): nothing is
   * written or published, and the caller lets go. JournalUnavailableError: nothing published.
   */
  async write(sessionId: string, entry: JournalEntry, at: number): Promise<boolean> {
    const ours = await this.persist(sessionId, () => this.journal.append(sessionId, entry, this.owner, at));
    if (ours) this.publish(sessionId, entry);
    return ours;
  }

  /** The session's first event (a resumed one says from where). */
  announce(event: Extract<SessionEvent, { kind: "opened" }>): void {
    this.events.publish(event.sessionId, event);
  }

  /** A journal entry as its event: tokens, or the end. */
  publish(sessionId: string, entry: JournalEntry): void {
    if (entry.end) {
      this.events.publish(sessionId, {
        kind: "end",
        sessionId,
        finishReason: entry.end.finishReason,
        generatedTokens: entry.end.generatedTokens,
        text: entry.text,
        ...(entry.end.reason !== undefined ? { reason: entry.end.reason } : {}),
      });
    } else if (entry.tokens.length > 0) {
      this.events.publish(sessionId, {
        kind: "tokens",
        sessionId,
        index: entry.index,
        tokens: entry.tokens,
        text: entry.text,
        ...(entry.textEnds ? { textEnds: entry.textEnds } : {}),
      });
    }
  }

  /**
   * Publishes again the journalled events from `fromIndex` on (readers drop what they have);
   * returns how many. One attempt: the gateway asks again if the stream stays stalled.
   */
  async replay(sessionId: string, fromIndex: number): Promise<number> {
    const record = await this.journal.read(sessionId).catch((err: unknown) => {
      this.log.warn({ sessionId, err: String(err) }, "could not read the session's journal to replay it");
      return null;
    });
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

  /** Runs a journal call, retried with backoff within the patience; a gap or a damaged record is not retried. */
  private async persist<T>(sessionId: string, call: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.patience.totalMs;
    let backoff = this.patience.firstBackoffMs;
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await withinMs(call(), Math.max(1, deadline - Date.now()));
        if (attempt > 1) this.log.info({ sessionId, attempts: attempt }, "the session journal answers again");
        return result;
      } catch (err) {
        if (err instanceof JournalGapError || err instanceof JournalCorruptError) throw err;
        const left = deadline - Date.now();
        if (left <= 0) throw new JournalUnavailableError(sessionId, this.patience.totalMs, err);
        if (attempt === 1)
          this.log.warn({ sessionId, err: String(err) }, "the session journal does not answer; retrying");
        await new Promise((resolve) => setTimeout(resolve, Math.min(backoff, left)));
        backoff = Math.min(backoff * 2, this.patience.maxBackoffMs);
      }
    }
  }
}

/**
 * `promise`, or a rejection after `ms`: a call queued while Redis is away may wait for several
 * reconnect attempts, longer than the patience left. (It may still land later; an entry the
 * journal has but nobody published is harmless, the reverse is what must never happen.)
 */
function withinMs<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
