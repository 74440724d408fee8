import type { Sampling, SessionEndReason } from "#contracts";

/** What a verifier needs to take a session over from one that died. */
export interface SessionHeader {
  sessionId: string;
  model: string;
  promptTokens: number[];
  maxTokens: number;
  sampling: Sampling;
  openedAt: number;
}

/** How a session ended, as its last journal entry (and its `end` event) says. */
export interface SessionEnd {
  finishReason: SessionEndReason;
  /** Tokens journalled (and published) before the end. */
  generatedTokens: number;
  /** `cancelled` and `error`: why. */
  reason?: string;
}

/**
 * One event exactly as it was published (a resumed session, or a gateway that missed events,
 * replays these): committed tokens, or, last, the session's end whatever ended it.
 */
export interface JournalEntry {
  index: number;
  tokens: number[];
  text: string;
  /** Where each token's text ends in `text` (the tokens event's `textEnds`). */
  textEnds?: number[];
  end?: SessionEnd;
}

export interface SessionRecord {
  header: SessionHeader;
  entries: JournalEntry[];
}

/**
 * The durable record of each session's committed tokens, written by its verifier before the
 * tokens are published: if the verifier dies, another one reads it back, replays the events
 * the gateway may have missed and goes on from the last committed token.
 *
 * Each session has one owner, the verifier writing it. A verifier taking a session over claims
 * it; an append by any other verifier is refused (`false`): a verifier that was only cut off,
 * not dead, learns that the session has moved on without it and stops (a fencing token).
 *
 * Every call may be retried after a failure whose outcome is unknown (a reply lost with the
 * connection): `append` names the place of its entry (`at`, the entries before it), so an entry
 * already appended is not appended twice.
 */
export interface SessionJournal {
  begin(header: SessionHeader, owner: string): Promise<void>;
  claim(sessionId: string, owner: string): Promise<void>;
  /**
   * Appends `entry` as the session's entry number `at` when `owner` still owns the session; true
   * also when that place is already taken (an earlier attempt got through). False when another
   * owner has the session: nothing is written. A JournalGapError when entries before `at` are
   * missing: nothing is written after a hole.
   */
  append(sessionId: string, entry: JournalEntry, owner: string, at: number): Promise<boolean>;
  read(sessionId: string): Promise<SessionRecord | null>;
  /** The session ended: its record is kept a while (a late resume finds it finished), then dropped. */
  finish(sessionId: string): Promise<void>;
}

/** The journal lacks entries before the one being appended: appending would leave a hole. */
export class JournalGapError extends Error {
  constructor(
    readonly sessionId: string,
    readonly at: number,
    readonly length: number,
  ) {
    super(`the journal of session ${sessionId} holds ${length} entries; entry ${at} cannot follow them`);
    this.name = "JournalGapError";
  }
}

/** A record that cannot be read back (not written by this code, or damaged). */
export class JournalCorruptError extends Error {
  constructor(
    readonly sessionId: string,
    problem: string,
  ) {
    super(`the journal of session ${sessionId} is unreadable: ${problem}`);
    this.name = "JournalCorruptError";
  }
}

/**
 * In-process journal with the same semantics as RedisJournal (the same table-driven tests run
 * against both): for unit tests of the code that writes and reads sessions.
 */
export class MemoryJournal implements SessionJournal {
  private readonly records = new Map<string, SessionRecord & { owner: string }>();

  async begin(header: SessionHeader, owner: string): Promise<void> {
    const record = this.records.get(header.sessionId);
    if (record) record.owner = owner;
    else this.records.set(header.sessionId, { header: structuredClone(header), entries: [], owner });
  }

  async claim(sessionId: string, owner: string): Promise<void> {
    const record = this.records.get(sessionId);
    if (record) record.owner = owner;
  }

  async append(sessionId: string, entry: JournalEntry, owner: string, at: number): Promise<boolean> {
    const record = this.records.get(sessionId);
    if (!record || record.owner !== owner) return false;
    if (at < record.entries.length) return true;
    if (at > record.entries.length) throw new JournalGapError(sessionId, at, record.entries.length);
    record.entries.push(structuredClone(entry));
    return true;
  }

  async read(sessionId: string): Promise<SessionRecord | null> {
    const record = this.records.get(sessionId);
    return record ? structuredClone({ header: record.header, entries: record.entries }) : null;
  }

  /** Kept (Redis keeps it a while): a late resume finds the session finished. */
  async finish(): Promise<void> {}
}

/** The tokens a record has committed, in order. */
export function committedTokens(record: SessionRecord): number[] {
  return record.entries.flatMap((e) => e.tokens);
}

/** The session's end, if it was journalled: it ended, and only its events may be missing. */
export function journalledEnd(record: SessionRecord): SessionEnd | undefined {
  return record.entries.find((e) => e.end)?.end;
}
