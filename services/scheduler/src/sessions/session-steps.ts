import type { Logger } from "#logging";

/**
 * The scheduler's work on one running session (opening it, moving it, replacing its drafter),
 * one step at a time per session: a step queued behind another waits for it, and while a session
 * has a step in flight, recovery and rebalancing leave it be (the next fleet event sees the
 * result). Counted per session, so a step that starts another (a move that re-opens) keeps the
 * session marked until both are done.
 */
export class SessionSteps {
  private readonly tails = new Map<string, { tail: Promise<void>; pending: number }>();

  constructor(private readonly log: Logger) {}

  /** Whether the session has a step queued or running. */
  busy(sessionId: string): boolean {
    return this.tails.has(sessionId);
  }

  /** Runs `step` after the session's earlier steps; its failure is logged, never thrown. */
  run(sessionId: string, what: string, step: () => Promise<void>): Promise<void> {
    const entry = this.tails.get(sessionId) ?? { tail: Promise.resolve(), pending: 0 };
    entry.pending++;
    const next = entry.tail
      .then(step)
      .catch((err: unknown) => this.log.error({ sessionId, step: what, err: String(err) }, "session step failed"))
      .finally(() => {
        if (--entry.pending === 0) this.tails.delete(sessionId);
      });
    entry.tail = next;
    this.tails.set(sessionId, entry);
    return next;
  }

  /** Resolves when every step queued so far has finished (shutdown, tests). */
  async settled(): Promise<void> {
    await Promise.all([...this.tails.values()].map((e) => e.tail));
  }
}
