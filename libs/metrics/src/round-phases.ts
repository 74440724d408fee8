import { Counter, type Registry } from "prom-client";

/** A verify round's phases as the verifier sees them (bench:round's breakdown). */
export const VERIFIER_ROUND_PHASES = [
  /** Decoding and validating the request (the transport). */
  "decode",
  /** Waiting for the session's lock (the previous round's journal write, which goes on after its answer). */
  "lock",
  /** From the round's start under its lock until its forward pass starts: checks and the batcher. */
  "wait",
  /** The forward pass, acceptance, and committing to the session's sequence. */
  "verify",
  /** Writing the round's tokens to the session journal (Redis) until acknowledged, then publishing them. */
  "journal",
  /** Encoding the token event and handing it to the connection (within `journal`). */
  "publish",
  /** Encoding the reply and handing it to the connection. */
  "reply",
  /** The whole request, from its arrival on the connection until its reply was sent. */
  "served",
] as const;
export type VerifierRoundPhase = (typeof VERIFIER_ROUND_PHASES)[number];

/** A verify round's phases as the drafter sees them. */
export const DRAFTER_ROUND_PHASES = [
  /** Drafting the window, when it was not drafted ahead while the previous round was in flight. */
  "draft",
  /** Encoding the request and handing it to the connection. */
  "encode",
  /** From before the request is encoded until its reply is decoded. */
  "round_trip",
  /** Decoding and validating the reply. */
  "decode",
  /** Waiting, after the reply, for the next window it drafted ahead while the round was in flight. */
  "ahead",
  /** Applying the reply: rolling the cache back, committing, reporting the round. */
  "apply",
] as const;
export type DrafterRoundPhase = (typeof DRAFTER_ROUND_PHASES)[number];

/**
 * Where rounds spend their time, summed per phase in place (no allocation per round, a number
 * added per phase) and read out as a Prometheus counter by `phase` (the verifier's
 * `specfleet:verify_round_phase_seconds_total`, the drafter's `…draft_round_phase…`), only when
 * metrics are collected. Divided by the rounds counted over the same
 * interval, it is the per-round breakdown `bench:round` prints.
 */
export class RoundPhaseClock<P extends string> {
  private readonly totalsMs: Float64Array;
  private readonly reportedMs: Float64Array;
  private readonly index: Record<string, number>;

  constructor(
    /** `specfleet:<name>_seconds_total`. */
    name: string,
    readonly phases: readonly P[],
    registers: Registry[],
  ) {
    this.totalsMs = new Float64Array(phases.length);
    this.reportedMs = new Float64Array(phases.length);
    this.index = Object.fromEntries(phases.map((phase, i) => [phase, i]));
    const { totalsMs, reportedMs } = this;
    new Counter({
      name: `specfleet:${name}_seconds_total`,
      help: "Time verify rounds spent in each phase on this process (bench:round's breakdown), seconds.",
      labelNames: ["phase"] as const,
      registers,
      collect() {
        for (let i = 0; i < phases.length; i++) {
          const delta = totalsMs[i]! - reportedMs[i]!;
          if (delta > 0) this.inc({ phase: phases[i]! }, delta / 1000);
          else if (reportedMs[i] === 0) this.inc({ phase: phases[i]! }, 0);
          reportedMs[i] = totalsMs[i]!;
        }
      },
    });
  }

  /** `ms` more spent in `phase`. */
  add(phase: P, ms: number): void {
    this.totalsMs[this.index[phase]!]! += ms;
  }

  /** The time spent in `phase` so far, ms. */
  totalMs(phase: P): number {
    return this.totalsMs[this.index[phase]!]!;
  }
}
