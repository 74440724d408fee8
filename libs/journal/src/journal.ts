import type { Sampling } from "#contracts";

/** What a verifier needs to take a session over from one that died. */
export interface SessionHeader {
  sessionId: string;
  model: string;
  promptTokens: number[];
  maxTokens: number;
  sampling: Sampling;
  openedAt: number;
}

/**
 * One tokens event exactly as it was published (a resumed session, or a gateway that missed
 * events, replays these); the last entry of a finished session carries its end.
 */
export interface JournalEntry {
  index: number;
  tokens: number[];
  text: string;
  end?: { finishReason: "stop" | "length"; generatedTokens: number };
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
 */
export interface SessionJournal {
  begin(header: SessionHeader, owner: string): Promise<void>;
  claim(sessionId: string, owner: string): Promise<void>;
  /** Appends when `owner` still owns the session; false otherwise, and nothing is written. */
  append(sessionId: string, entry: JournalEntry, owner: string): Promise<boolean>;
  read(sessionId: string): Promise<SessionRecord | null>;
  /** The session ended: its record is kept a while (a late resume finds it finished), then dropped. */
  finish(sessionId: string): Promise<void>;
}

/** In-process journal, for unit tests and the simulator. */
export class MemoryJournal implements SessionJournal {
  private readonly records = new Map<string, SessionRecord & { owner: string }>();

  async begin(header: SessionHeader, owner: string): Promise<void> {
    if (!this.records.has(header.sessionId)) this.records.set(header.sessionId, { header, entries: [], owner });
  }

  async claim(sessionId: string, owner: string): Promise<void> {
    const record = this.records.get(sessionId);
    if (record) record.owner = owner;
  }

  async append(sessionId: string, entry: JournalEntry, owner: string): Promise<boolean> {
    const record = this.records.get(sessionId);
    if (!record) throw new Error(`no journal for session ${sessionId}`);
    if (record.owner !== owner) return false;
    record.entries.push(entry);
    return true;
  }

  async read(sessionId: string): Promise<SessionRecord | null> {
    const record = this.records.get(sessionId);
    return record ? { header: record.header, entries: [...record.entries] } : null;
  }

  async finish(sessionId: string): Promise<void> {
    this.records.delete(sessionId);
  }
}

/** The tokens a record has committed, in order. */
export function committedTokens(record: SessionRecord): number[] {
  return record.entries.flatMap((e) => e.tokens);
}

/** The session's end, if it was journalled: it finished, and only its events may be missing. */
export function journalledEnd(record: SessionRecord): JournalEntry["end"] {
  return record.entries.find((e) => e.end)?.end;
}
