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
 */
export interface SessionJournal {
  begin(header: SessionHeader): Promise<void>;
  append(sessionId: string, entry: JournalEntry): Promise<void>;
  read(sessionId: string): Promise<SessionRecord | null>;
  /** The session ended: its record is kept a while (a late resume finds it finished), then dropped. */
  finish(sessionId: string): Promise<void>;
}

/** In-process journal, for unit tests and the simulator. */
export class MemoryJournal implements SessionJournal {
  private readonly records = new Map<string, SessionRecord>();

  async begin(header: SessionHeader): Promise<void> {
    if (!this.records.has(header.sessionId)) this.records.set(header.sessionId, { header, entries: [] });
  }

  async append(sessionId: string, entry: JournalEntry): Promise<void> {
    const record = this.records.get(sessionId);
    if (!record) throw new Error(`no journal for session ${sessionId}`);
    record.entries.push(entry);
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
