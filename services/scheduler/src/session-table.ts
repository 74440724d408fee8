import type { CompletionJob } from "#contracts";

export interface PlacedSession {
  job: CompletionJob;
  verifierId: string;
  drafterId: string | null;
  placedAt: number;
  /** Speculation wanted (not a request for γ = 0): a session alone takes a drafter when one is free. */
  wantsDrafter: boolean;
  /**
   * When each worker had started when the session was placed on it: a worker that restarted
   * since (even too fast to be seen lost) no longer holds the session.
   */
  startedAt: Record<string, number>;
}

/** Where the table is mirrored (Redis in the scheduler; nothing in unit tests). */
export interface SessionMirror {
  save(session: PlacedSession): void;
  delete(sessionId: string): void;
}

/** Sessions the scheduler has placed, and so the load it has put on each worker. */
export class SessionTable {
  private readonly sessions = new Map<string, PlacedSession>();

  constructor(private readonly mirror?: SessionMirror) {}

  place(session: PlacedSession): void {
    this.sessions.set(session.job.sessionId, session);
    this.mirror?.save(session);
  }

  remove(sessionId: string): PlacedSession | undefined {
    const session = this.sessions.get(sessionId);
    this.sessions.delete(sessionId);
    if (session) this.mirror?.delete(sessionId);
    return session;
  }

  /** The session's drafter changes; null: it goes on alone (target-only), the drafter's slot is free. */
  setDrafter(sessionId: string, drafterId: string | null, startedAt?: number): void {
    const session = this.sessions.get(sessionId);
    if (!session) return;
    session.drafterId = drafterId;
    if (drafterId !== null && startedAt !== undefined) session.startedAt[drafterId] = startedAt;
    this.mirror?.save(session);
  }

  all(): PlacedSession[] {
    return [...this.sessions.values()];
  }

  get(sessionId: string): PlacedSession | undefined {
    return this.sessions.get(sessionId);
  }

  has(sessionId: string): boolean {
    return this.sessions.has(sessionId);
  }

  /** Sessions placed on each worker, counted in one pass. */
  loads(): Map<string, number> {
    const loads = new Map<string, number>();
    const add = (id: string | null) => id !== null && loads.set(id, (loads.get(id) ?? 0) + 1);
    for (const s of this.sessions.values()) {
      add(s.verifierId);
      add(s.drafterId);
    }
    return loads;
  }

  get size(): number {
    return this.sessions.size;
  }
}
