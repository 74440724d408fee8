import { Counter, Gauge, Histogram } from "prom-client";
import type { ActorRegistry } from "./actor-registry.js";
import { LATENCY_BUCKETS_S, SMALL_COUNT_BUCKETS, STEP_BUCKETS_S } from "./buckets.js";
import { DRAFTER_ROUND_PHASES, RoundPhaseClock } from "./round-phases.js";

/** A drafter's metrics; `verifier` is bounded by METRICS_MAX_PAIRS (later verifiers share `other`). */
export function drafterMetrics({ registry }: ActorRegistry) {
  const registers = [registry];
  return {
    draftDuration: new Histogram({
      name: "specfleet:draft_duration_seconds",
      help: "Drafting one window (all its tokens), seconds.",
      buckets: STEP_BUCKETS_S,
      registers,
    }),
    window: new Histogram({
      name: "specfleet:draft_window",
      help: "The window γ chosen for each round.",
      buckets: SMALL_COUNT_BUCKETS,
      registers,
    }),
    verifyRoundTrip: new Histogram({
      name: "specfleet:verify_round_trip_seconds",
      help: "A verify request's round trip as the drafter saw it (network, queueing and the verifier's pass), by verifier, seconds.",
      labelNames: ["verifier"] as const,
      buckets: LATENCY_BUCKETS_S,
      registers,
    }),
    rounds: new Counter({
      name: "specfleet:draft_rounds_total",
      help: "Rounds sent for verification, by outcome (applied, stale, rejected, failed).",
      labelNames: ["outcome"] as const,
      registers,
    }),
    sentAhead: new Counter({
      name: "specfleet:draft_rounds_sent_ahead_total",
      help: "Rounds sent before the previous round's answer, on the guess that it is accepted whole (DRAFT_SEND_AHEAD), by outcome: applied (the guess held), stale (it did not), rejected, failed.",
      labelNames: ["outcome"] as const,
      registers,
    }),
    sessions: new Gauge({
      name: "specfleet:drafter_sessions",
      help: "Sessions the drafter follows.",
      registers,
    }),
    /** Where verify rounds spend their time here (bench:round's breakdown). */
    roundPhases: new RoundPhaseClock("draft_round_phase", DRAFTER_ROUND_PHASES, registers),
  };
}
export type DrafterMetrics = ReturnType<typeof drafterMetrics>;
