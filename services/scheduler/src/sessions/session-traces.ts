import type { CompletionJob } from "#contracts";
import type { PassOutcome } from "#placement";
import { annotateActiveSpan, inSpan, ROOT_CONTEXT, TraceMemory, tracingActive } from "#tracing";
import type { PlacedSession } from "./session-table.js";

/**
 * A request's trace through the scheduler (docs/tracing.md). The admission decision is written
 * on its SchedulerSubmit span; each opening of its session on workers is a span of its own, in
 * the request's trace whether it was placed at once or later from the queue (never in the trace
 * of whatever started the queue pass), and for a session resumed or moved elsewhere in a new
 * trace linked to the request's. The verifier's and drafter's spans are children of that span.
 * Traces live in this process's memory: a restarted scheduler opens what it restored in new traces.
 */
export class SessionTraces {
  private readonly memory = new TraceMemory();

  /** At SchedulerSubmit, inside its span: remembers the request's trace and what was decided. */
  admitted(job: CompletionJob, outcome: PassOutcome<unknown> | undefined): void {
    if (!tracingActive()) return;
    this.memory.remember(job.sessionId);
    const placed = outcome?.kind === "place" ? outcome.decision : undefined;
    annotateActiveSpan({
      "specfleet.session.id": job.sessionId,
      "gen_ai.request.model": job.model,
      "specfleet.priority": job.priority,
      "specfleet.admission": outcome === undefined ? "queue" : outcome.kind,
      ...(placed ? { "specfleet.verifier.id": placed.verifierId } : {}),
      ...(placed?.kind === "pair" ? { "specfleet.drafter.id": placed.drafterId } : {}),
      ...(placed?.kind === "alone" ? { "specfleet.alone_reason": placed.reason } : {}),
    });
  }

  /** Runs the opening of a placed session on its workers in its span (see the class). */
  opening<T>(session: PlacedSession, resume: boolean, open: () => Promise<T>): Promise<T> {
    if (!tracingActive()) return open();
    const { sessionId } = session.job;
    const attributes = {
      "specfleet.session.id": sessionId,
      "specfleet.verifier.id": session.verifierId,
      "specfleet.drafter.id": session.drafterId ?? "",
      "specfleet.resume": resume,
      "specfleet.waited_ms": Math.max(0, session.placedAt - session.job.submittedAt),
    };
    const name = resume ? "scheduler resume session" : "scheduler open session";
    return resume
      ? inSpan(name, { attributes, parent: ROOT_CONTEXT, links: this.memory.linksTo(sessionId) }, open)
      : inSpan(name, { attributes, parent: this.memory.contextOf(sessionId) }, open);
  }

  /** Runs the attaching of a drafter to a session decoding alone in a span of the session's trace. */
  attaching<T>(sessionId: string, drafterId: string, attach: () => Promise<T>): Promise<T> {
    if (!tracingActive()) return attach();
    const attributes = { "specfleet.session.id": sessionId, "specfleet.drafter.id": drafterId };
    return inSpan("scheduler attach drafter", { attributes, parent: this.memory.contextOf(sessionId) }, attach);
  }

  /** The session ended: its trace is not continued any more. */
  ended(sessionId: string): void {
    this.memory.forget(sessionId);
  }
}
