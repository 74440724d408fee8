import type { CompletionJob } from "#contracts";

export interface PlacedSession {
  job: CompletionJob;
  verifierId: string;
  drafterId: string | null;
  placedAt: number;
}

/** Sessions the scheduler has placed, and so the load it has put on each worker. */
export class SessionTable {
  private readonly sessions = new Map<string, PlacedSession>();

  place(session: PlacedSession): void {
    this.sessions.set(session.job.sessionId, session);
  }

  remove(sessionId: string): PlacedSession | undefined {
    const session = this.sessions.get(sessionId);
    this.sessions.delete(sessionId);
    return session;
  }

  /** The session goes on without its drafter (target-only): the drafter's slot is free. */
  dropDrafter(sessionId: string): void {
    const session = this.sessions.get(sessionId);
    if (session) session.drafterId = null;
  }

  get(sessionId: string): PlacedSession | undefined {
    return this.sessions.get(sessionId);
  }

  has(sessionId: string): boolean {
    return this.sessions.has(sessionId);
  }

  loadOf(workerId: string): number {
    let load = 0;
    for (const s of this.sessions.values()) if (s.verifierId === workerId || s.drafterId === workerId) load++;
    return load;
  }

  onWorker(workerId: string): PlacedSession[] {
    return [...this.sessions.values()].filter((s) => s.verifierId === workerId || s.drafterId === workerId);
  }

  get size(): number {
    return this.sessions.size;
  }
}
