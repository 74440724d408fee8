import { KeyedLock } from "#worker";
import type { VerifierSession } from "./verifier-session.js";

/**
 * The sessions this verifier owns, with one lock per session: everything that touches a
 * session's sequence (a round, its end, attaching a drafter) runs under its lock, one at a time,
 * so no evaluation of a sequence is pending when it is freed.
 */
export class SessionTable {
  private readonly sessions = new Map<string, VerifierSession>();
  private readonly lock = new KeyedLock();

  get(sessionId: string): VerifierSession | undefined {
    return this.sessions.get(sessionId);
  }

  add(session: VerifierSession): void {
    this.sessions.set(session.id, session);
  }

  /** Whether `session` is still running here (not ended, released, or replaced by a reopening). */
  holds(session: VerifierSession): boolean {
    return this.sessions.get(session.id) === session;
  }

  remove(session: VerifierSession): void {
    if (this.holds(session)) this.sessions.delete(session.id);
  }

  get size(): number {
    return this.sessions.size;
  }

  ids(): string[] {
    return [...this.sessions.keys()];
  }

  all(): VerifierSession[] {
    return [...this.sessions.values()];
  }

  /** Runs `task` under the session's lock. */
  run<T>(sessionId: string, task: () => Promise<T>): Promise<T> {
    return this.lock.run(sessionId, task);
  }
}
