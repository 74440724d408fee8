import { SessionStream, VerifyRound, type AnyContract } from "#contracts";
import { BoundedLabel, type VerifierMetrics, type VerifierRoundPhase } from "#metrics";
import type { WireClock } from "#transport";

/** The `drafter` label of rounds decoded alone (no drafter follows the session). */
export const ALONE_LABEL = "none";

/** What the meter needs of a session. */
export interface MeteredSession {
  readonly alone: boolean;
  readonly drafterId: string | null;
}

/**
 * The verifier's metrics, fed with numbers a round already has: nothing here awaits or
 * allocates per token. Spec-decode counters follow vLLM's semantics: a "draft" is a round with at
 * least one drafted token; acceptance = accepted / drafted tokens. Per-drafter series are bounded
 * (METRICS_MAX_PAIRS, later drafters share `other`); rounds decoded alone count under `none`.
 */
export class VerifierMeter implements WireClock {
  private readonly drafters: BoundedLabel;
  /** The per-position counters' children, made once per position. */
  private readonly positions: { inc(value?: number): void }[] = [];

  constructor(
    private readonly metrics: VerifierMetrics,
    maxPairs: number,
  ) {
    this.drafters = new BoundedLabel(maxPairs);
  }

  /** One verified round: `drafted` tokens offered, `accepted` of them taken, `committed` appended to the sequence. */
  round(session: MeteredSession, drafted: number, accepted: number, committed: number): void {
    // A round with drafts came from the session's drafter, even if the scheduler detached it while the round ran.
    const drafter =
      drafted > 0 && session.drafterId !== null ? this.drafters.of(session.drafterId) : this.drafterOf(session);
    if (drafted > 0) {
      this.metrics.drafts.inc({ drafter });
      this.metrics.draftTokens.inc({ drafter }, drafted);
      this.metrics.acceptedTokens.inc({ drafter }, accepted);
      for (let position = 0; position < accepted; position++) this.position(position).inc();
    }
    if (committed > 0) this.metrics.committedTokens.inc({ drafter }, committed);
  }

  /** A session's sequence filled with its prompt (and, resumed, its committed tokens). */
  prefill(reason: "open" | "resume", tokens: number): void {
    if (tokens > 0) this.metrics.prefillTokens.inc({ reason }, tokens);
  }

  /** A batch started: `rounds` sessions' rounds, `tokens` tokens in one forward pass. */
  batch(rounds: number, tokens: number): void {
    this.metrics.batchSize.observe(rounds);
    this.metrics.iterationTokens.observe(tokens);
  }

  /** A batch's passes all settled, `ms` after it started. */
  verified(ms: number): void {
    this.metrics.verifyDuration.observe(ms / 1000);
  }

  /** A round's tokens journalled, then published, `ms` after the write started. */
  journalWrite(ms: number): void {
    this.metrics.journalWriteDuration.observe(ms / 1000);
    this.metrics.roundPhases.add("journal", ms);
  }

  /** `ms` of a round spent in `phase` (bench:round's breakdown). */
  phase(phase: VerifierRoundPhase, ms: number): void {
    this.metrics.roundPhases.add(phase, ms);
  }

  /** The transport's share of a round: the reply and the token event encoded and sent. */
  encoded(contract: AnyContract, kind: "request" | "event" | "reply", ms: number): void {
    if (contract === SessionStream) this.metrics.roundPhases.add("publish", ms);
    else if (contract === VerifyRound && kind === "reply") this.metrics.roundPhases.add("reply", ms);
  }

  /** The transport's share of a round: its request decoded and validated. */
  decoded(contract: AnyContract, kind: "request" | "event" | "reply", ms: number): void {
    if (contract === VerifyRound && kind === "request") this.metrics.roundPhases.add("decode", ms);
  }

  /** A round's request from its arrival until its reply was sent. */
  served(contract: AnyContract, ms: number): void {
    if (contract === VerifyRound) this.metrics.roundPhases.add("served", ms);
  }

  /** The sessions held now, by mode. */
  sessions(all: Iterable<MeteredSession>): void {
    let alone = 0;
    let paired = 0;
    for (const session of all) {
      if (session.alone) alone++;
      else paired++;
    }
    this.metrics.sessions.set({ mode: "paired" }, paired);
    this.metrics.sessions.set({ mode: "alone" }, alone);
  }

  private drafterOf(session: MeteredSession): string {
    return session.alone || session.drafterId === null ? ALONE_LABEL : this.drafters.of(session.drafterId);
  }

  private position(position: number): { inc(value?: number): void } {
    let child = this.positions[position];
    if (!child) {
      child = this.metrics.acceptedPerPosition.labels({ position: String(position) });
      this.positions[position] = child;
    }
    return child;
  }
}
