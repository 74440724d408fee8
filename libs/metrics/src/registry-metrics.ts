import { Gauge } from "prom-client";
import type { ActorRegistry } from "./actor-registry.js";

/**
 * The registry's metrics: the fleet as it sees it. Per-worker series are bounded by the fleet's
 * size (one series per worker and metric; a lost worker's series go when it is forgotten).
 */
export function registryMetrics({ registry }: ActorRegistry) {
  const registers = [registry];
  return {
    workers: new Gauge({
      name: "specfleet:workers",
      help: "Workers by role, model and state (ready, degraded, draining, lost).",
      labelNames: ["role", "model", "state"] as const,
      registers,
    }),
    workerState: new Gauge({
      name: "specfleet:worker_state",
      help: "1 for each worker's current state (label state), by worker and role.",
      labelNames: ["worker", "role", "state"] as const,
      registers,
    }),
    workerActiveSessions: new Gauge({
      name: "specfleet:worker_active_sessions",
      help: "Sessions a worker reports running.",
      labelNames: ["worker", "role"] as const,
      registers,
    }),
    workerMaxSessions: new Gauge({
      name: "specfleet:worker_max_sessions",
      help: "Sessions a worker takes at once.",
      labelNames: ["worker", "role"] as const,
      registers,
    }),
    workerTokensPerSecond: new Gauge({
      name: "specfleet:worker_tokens_per_second",
      help: "Tokens per second a worker reports (committed for verifiers, drafted for drafters).",
      labelNames: ["worker", "role"] as const,
      registers,
    }),
    workerBrokerRtt: new Gauge({
      name: "specfleet:worker_broker_rtt_seconds",
      help: "A worker's measured round trip to the message broker, seconds.",
      labelNames: ["worker", "role"] as const,
      registers,
    }),
    workerBatteryLevel: new Gauge({
      name: "specfleet:worker_battery_level",
      help: "Battery level in [0, 1] of workers that report one (source: battery, charging).",
      labelNames: ["worker", "source"] as const,
      registers,
    }),
  };
}
export type RegistryMetrics = ReturnType<typeof registryMetrics>;
