import { VerifyRound, type AnyContract } from "#contracts";
import { BoundedLabel, type DrafterMetrics, type DrafterRoundPhase } from "#metrics";
import type { WireClock } from "#transport";

/** How a round sent for verification came back: the verifier's answer, or `failed` (no answer, an error). */
export type RoundOutcome = "applied" | "stale" | "rejected" | "failed";

/**
 * The drafter's metrics, fed with numbers a round already has (no awaits, nothing per token).
 * Every round sent is counted once by its window and once by its outcome, so the window
 * histogram's count equals the rounds counter's total. Verifiers past METRICS_MAX_PAIRS share
 * the label `other`.
 */
export class DrafterMeter implements WireClock {
  private readonly verifiers: BoundedLabel;

  constructor(
    private readonly metrics: DrafterMetrics,
    maxPairs: number,
  ) {
    this.verifiers = new BoundedLabel(maxPairs);
  }

  /** A window of `tokens` drafted in `ms` (not one drafted ahead while the previous round was in flight). */
  drafted(tokens: number, ms: number): void {
    if (tokens > 0) this.metrics.draftDuration.observe(ms / 1000);
  }

  /** A round sent with a window of `window` tokens. */
  sent(window: number): void {
    this.metrics.window.observe(window);
  }

  /** The round's answer; `roundTripMs` from sending to the answer (ignored when it failed). */
  answered(verifierId: string, outcome: RoundOutcome, roundTripMs: number): void {
    this.metrics.rounds.inc({ outcome });
    if (outcome !== "failed")
      this.metrics.verifyRoundTrip.observe({ verifier: this.verifiers.of(verifierId) }, roundTripMs / 1000);
  }

  /** How a round sent ahead of the previous round's answer came back (it is also counted by answered()). */
  answeredAhead(outcome: RoundOutcome): void {
    this.metrics.sentAhead.inc({ outcome });
  }

  sessions(active: number): void {
    this.metrics.sessions.set(active);
  }

  /** `ms` of a round spent in `phase` (bench:round's breakdown). */
  phase(phase: DrafterRoundPhase, ms: number): void {
    this.metrics.roundPhases.add(phase, ms);
  }

  /** The transport's share of a round: its request encoded and sent. */
  encoded(contract: AnyContract, kind: "request" | "event" | "reply", ms: number): void {
    if (contract === VerifyRound && kind === "request") this.metrics.roundPhases.add("encode", ms);
  }

  /** The transport's share of a round: its reply decoded and validated. */
  decoded(contract: AnyContract, kind: "request" | "event" | "reply", ms: number): void {
    if (contract === VerifyRound && kind === "reply") this.metrics.roundPhases.add("decode", ms);
  }

  served(): void {}
}
