import { Counter, Gauge, Histogram } from "prom-client";
import type { ActorRegistry } from "./actor-registry.js";
import { LATENCY_BUCKETS_S, RATIO_BUCKETS, STEP_BUCKETS_S } from "./buckets.js";

/** The scheduler's metrics: admission, placement decisions, moves. */
export function schedulerMetrics({ registry }: ActorRegistry) {
  const registers = [registry];
  return {
    requestsRunning: new Gauge({
      name: "specfleet:num_requests_running",
      help: "Sessions placed on a verifier and not ended, by model.",
      labelNames: ["model"] as const,
      registers,
    }),
    requestsWaiting: new Gauge({
      name: "specfleet:num_requests_waiting",
      help: "Requests waiting in the admission queue for a pair (the queue depth), by model.",
      labelNames: ["model"] as const,
      registers,
    }),
    queueTime: new Histogram({
      name: "specfleet:request_queue_time_seconds",
      help: "Time from submission to placement on a verifier, seconds.",
      labelNames: ["model"] as const,
      buckets: LATENCY_BUCKETS_S,
      registers,
    }),
    decisionDuration: new Histogram({
      name: "specfleet:scheduler_decision_duration_seconds",
      help: "Time the pairing policy took for one decision (kind: place, rebalance), seconds.",
      labelNames: ["policy", "kind"] as const,
      buckets: STEP_BUCKETS_S,
      registers,
    }),
    decisions: new Counter({
      name: "specfleet:scheduler_decisions_total",
      help: "Placement decisions by outcome (paired, alone, queued, refused).",
      labelNames: ["policy", "outcome"] as const,
      registers,
    }),
    moves: new Counter({
      name: "specfleet:scheduler_moves_total",
      help: "Sessions moved by the scheduler, by kind (rebalance, verifier-failover, drafter-lost, drafter-attached, hand-back, drain, requeue).",
      labelNames: ["kind"] as const,
      registers,
    }),
    predictionRatio: new Histogram({
      name: "specfleet:scheduler_prediction_ratio",
      help: "Per session and placement (observed when it ends or is re-paired), committed tokens/s achieved over the rate load-aware predicted for where it ran (1 is exact).",
      labelNames: ["policy"] as const,
      buckets: RATIO_BUCKETS,
      registers,
    }),
  };
}
export type SchedulerMetrics = ReturnType<typeof schedulerMetrics>;
