import type { CompletionJob } from "#contracts";

/** A running session as the scheduler placed it, and what it has learnt of its progress. */
export interface PlacedSession {
  job: CompletionJob;
  verifierId: string;
  /** null: decoding alone at its verifier (target-only). */
  drafterId: string | null;
  placedAt: number;
  /** Speculation wanted (not a request for γ = 0): a session alone takes a drafter when one is free. */
  wantsDrafter: boolean;
  /**
   * When each worker had started when the session was placed on it: a worker that restarted
   * since (even too fast to be seen lost) no longer holds the session.
   */
  startedAt: Record<string, number>;
  /** The prompt's tokens, from the verifier's open reply; null until it answered. */
  promptTokens: number | null;
  /** Tokens committed after the prompt, from the open reply and the round reports. */
  generatedTokens: number;
}

/** Its committed tokens after the prompt, once its verifier told them (null before it opened). */
export function progressOf(session: PlacedSession): number | null {
  return session.promptTokens === null ? null : session.generatedTokens;
}

/**
 * Where the table is kept durably (Redis in the scheduler, a fake in unit tests). A placement is
 * written before the session is opened and before the request leaves the queue, so a restarted
 * scheduler finds every accepted request in one or the other.
 */
export interface SessionRepository {
  save(session: PlacedSession): Promise<void>;
  delete(sessionId: string): Promise<void>;
  load(): Promise<PlacedSession[]>;
}

/**
 * Sessions the scheduler has placed: where each runs, and so the load it has put on each worker.
 * Writes go through to the repository; placements are awaited (durability), progress is not (a
 * restarted scheduler only under-estimates a session's progress until its next round report).
 */
export class SessionTable {
  private readonly sessions = new Map<string, PlacedSession>();

  constructor(private readonly repository: SessionRepository) {}

  /** Loads what a previous scheduler process left. */
  async restore(): Promise<PlacedSession[]> {
    const stored = await this.repository.load();
    for (const session of stored) this.sessions.set(session.job.sessionId, session);
    return stored;
  }

  /** Counts at once (a decision made meanwhile sees the slots taken); undone if Redis refuses it. */
  async place(session: PlacedSession): Promise<void> {
    const { sessionId } = session.job;
    const before = this.sessions.get(sessionId);
    this.sessions.set(sessionId, session);
    try {
      await this.repository.save(session);
    } catch (err) {
      if (this.sessions.get(sessionId) === session) {
        if (before) this.sessions.set(sessionId, before);
        else this.sessions.delete(sessionId);
      }
      throw err;
    }
  }

  async remove(sessionId: string): Promise<PlacedSession | undefined> {
    const session = this.sessions.get(sessionId);
    if (!session) return undefined;
    this.sessions.delete(sessionId);
    await this.repository.delete(sessionId);
    return session;
  }

  /** The session's drafter changes; null: it goes on alone (target-only), the drafter's slot is free. */
  async setDrafter(sessionId: string, drafterId: string | null, startedAt?: number): Promise<void> {
    const session = this.sessions.get(sessionId);
    if (!session) return;
    session.drafterId = drafterId;
    if (drafterId !== null && startedAt !== undefined) session.startedAt[drafterId] = startedAt;
    await this.repository.save(session);
  }

  /** The session's drafter found it faster alone: it is not given another. */
  async keepAlone(sessionId: string): Promise<void> {
    const session = this.sessions.get(sessionId);
    if (!session) return;
    session.wantsDrafter = false;
    await this.repository.save(session);
  }

  /** What the verifier told when it opened (or resumed) the session. */
  async opened(sessionId: string, promptTokens: number, generatedTokens: number): Promise<void> {
    const session = this.sessions.get(sessionId);
    if (!session) return;
    session.promptTokens = promptTokens;
    session.generatedTokens = Math.max(session.generatedTokens, generatedTokens);
    await this.repository.save(session);
  }

  /** A round report: `committed` tokens in all (prompt and generated) at the session's verifier. */
  progressed(sessionId: string, committed: number): void {
    const session = this.sessions.get(sessionId);
    if (!session || session.promptTokens === null) return;
    session.generatedTokens = Math.max(session.generatedTokens, committed - session.promptTokens);
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
