import { Counter, Gauge, Histogram } from "prom-client";
import type { ActorRegistry } from "./actor-registry.js";
import { SMALL_COUNT_BUCKETS, STEP_BUCKETS_S } from "./buckets.js";
import { RoundPhaseClock, VERIFIER_ROUND_PHASES } from "./round-phases.js";

/**
 * A verifier's metrics. The spec-decode counters follow vLLM's semantics: acceptance rate =
 * accepted_tokens / draft_tokens, mean accepted length = 1 + accepted_tokens / drafts. They are
 * per pair: the `process` label is the verifier, `drafter` the drafter (bounded by
 * METRICS_MAX_PAIRS: later drafters share `other`; `none` for sessions decoding alone).
 */
export function verifierMetrics({ registry }: ActorRegistry) {
  const registers = [registry];
  return {
    drafts: new Counter({
      name: "specfleet:spec_decode_num_drafts_total",
      help: "Verify rounds with at least one drafted token, by drafter.",
      labelNames: ["drafter"] as const,
      registers,
    }),
    draftTokens: new Counter({
      name: "specfleet:spec_decode_num_draft_tokens_total",
      help: "Drafted tokens verified, by drafter.",
      labelNames: ["drafter"] as const,
      registers,
    }),
    acceptedTokens: new Counter({
      name: "specfleet:spec_decode_num_accepted_tokens_total",
      help: "Drafted tokens accepted, by drafter.",
      labelNames: ["drafter"] as const,
      registers,
    }),
    acceptedPerPosition: new Counter({
      name: "specfleet:spec_decode_num_accepted_tokens_per_pos_total",
      help: "Drafted tokens accepted at each position of the window (0 is the first).",
      labelNames: ["position"] as const,
      registers,
    }),
    committedTokens: new Counter({
      name: "specfleet:committed_tokens_total",
      help: "Tokens committed to sessions (accepted plus the correction or bonus token, or decoded alone), by drafter ('none' alone).",
      labelNames: ["drafter"] as const,
      registers,
    }),
    prefillTokens: new Counter({
      name: "specfleet:prefill_tokens_total",
      help: "Tokens prefilled, by reason (open: a new session's prompt; resume: a session taken over).",
      labelNames: ["reason"] as const,
      registers,
    }),
    batchSize: new Histogram({
      name: "specfleet:verify_batch_size",
      help: "Sessions' rounds evaluated in one forward pass.",
      buckets: SMALL_COUNT_BUCKETS,
      registers,
    }),
    iterationTokens: new Histogram({
      name: "specfleet:iteration_tokens_total",
      help: "Tokens evaluated in one forward pass (vLLM's name).",
      buckets: SMALL_COUNT_BUCKETS,
      registers,
    }),
    verifyDuration: new Histogram({
      name: "specfleet:verify_duration_seconds",
      help: "One forward pass over a batch of rounds, from its start until every round's pass has returned, seconds.",
      buckets: STEP_BUCKETS_S,
      registers,
    }),
    journalWriteDuration: new Histogram({
      name: "specfleet:journal_write_duration_seconds",
      help: "Writing a round's committed tokens to the session journal (Redis), seconds.",
      buckets: STEP_BUCKETS_S,
      registers,
    }),
    auditedRounds: new Counter({
      name: "specfleet:audit_rounds_total",
      help: "Sampled rounds whose q the verifier recomputed with the drafter's model (VERIFY_AUDIT_FRACTION), by drafter.",
      labelNames: ["drafter"] as const,
      registers,
    }),
    auditFailures: new Counter({
      name: "specfleet:audit_failures_total",
      help: "Recomputed rounds whose q the drafter forged (beyond float tolerance), by drafter.",
      labelNames: ["drafter"] as const,
      registers,
    }),
    auditSkipped: new Counter({
      name: "specfleet:audit_skipped_total",
      help: "Rounds drawn for a recompute that were not recomputed, by reason (no_model, busy, error).",
      labelNames: ["reason"] as const,
      registers,
    }),
    drawCheckAlarms: new Counter({
      name: "specfleet:draw_check_alarms_total",
      help: "Drafters whose drafted tokens failed the draw check (not draws from the q sent), by drafter.",
      labelNames: ["drafter"] as const,
      registers,
    }),
    quarantines: new Counter({
      name: "specfleet:drafter_quarantines_total",
      help: "Drafters this verifier quarantined (caught lying about q), by drafter.",
      labelNames: ["drafter"] as const,
      registers,
    }),
    sessions: new Gauge({
      name: "specfleet:verifier_sessions",
      help: "Sessions held by the verifier, by mode (paired: with a drafter; alone: decoding alone).",
      labelNames: ["mode"] as const,
      registers,
    }),
    /** Where verify rounds spend their time here (bench:round's breakdown). */
    roundPhases: new RoundPhaseClock("verify_round_phase", VERIFIER_ROUND_PHASES, registers),
  };
}
export type VerifierMetrics = ReturnType<typeof verifierMetrics>;
