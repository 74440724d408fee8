import { markFailed, startSpan, type Span } from "#tracing";

/** What the span reads of a session (a VerifierSession). */
interface TracedSession {
  readonly id: string;
  readonly drafterId: string | null;
  readonly promptLength: number;
  readonly maxTokens: number;
  readonly rounds: number;
  readonly drafted: number;
  readonly accepted: number;
  readonly generated: readonly number[];
  readonly alone: boolean;
}

/**
 * A session's life on this verifier as one span, `verifier session` (docs/tracing.md): begun at
 * its open, a child of the VerifierOpen span and so of the request's trace, ended when the
 * session ends or is let go. A round gets no span of its own (cost: rounds are the hot path); the
 * span sums them up at its end: rounds, drafted and accepted tokens, what was generated, why it
 * ended. Nothing at all while tracing is off.
 */
export class SessionTrace {
  private constructor(private span: Span | null) {}

  static begin(session: TracedSession, verifierId: string, resumedAt: number | null): SessionTrace {
    return new SessionTrace(
      startSpan("verifier session", {
        "specfleet.session.id": session.id,
        "specfleet.verifier.id": verifierId,
        "specfleet.drafter.id": session.drafterId ?? "",
        "gen_ai.usage.input_tokens": session.promptLength,
        "gen_ai.request.max_tokens": session.maxTokens,
        ...(resumedAt !== null ? { "specfleet.resumed_at": resumedAt } : {}),
      }),
    );
  }

  /** Ends the span with the session's round summary; `reason`: how it ended (stop, length, cancelled, error, released). */
  end(session: TracedSession, reason: string, detail?: string): void {
    const span = this.span;
    if (!span) return;
    this.span = null;
    span.setAttributes({
      "specfleet.end_reason": reason,
      "specfleet.rounds": session.rounds,
      "specfleet.drafted_tokens": session.drafted,
      "specfleet.accepted_tokens": session.accepted,
      "specfleet.generated_tokens": session.generated.length,
      "gen_ai.usage.output_tokens": session.generated.length,
      "specfleet.target_only": session.alone,
      ...(session.drafted > 0 ? { "specfleet.acceptance_rate": session.accepted / session.drafted } : {}),
    });
    if (reason === "error") markFailed(span, detail ?? "the session failed");
    span.end();
  }
}
