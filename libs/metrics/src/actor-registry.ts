import { hostname } from "node:os";
import { collectDefaultMetrics, Registry } from "prom-client";
import type { Actor, MetricJson } from "#contracts";

/** One process's metrics: every series carries the process's `actor` and `process` labels. */
export interface ActorRegistry {
  readonly actor: Actor;
  /** The process: a worker's id, or the actor's name with its host and pid. */
  readonly process: string;
  readonly registry: Registry;
}

/**
 * How often the event loop's delay is sampled for `nodejs_eventloop_lag_*`, in ms. prom-client's
 * default (10) is a timer that wakes the process 100 times a second, idle or not: on a machine
 * whose cores a model worker's threads fill, each wake-up of any process holds up a forward pass
 * (docs/benchmarks.md, bench:peer, "a quiet control plane"). Every stall from 100 ms up is still seen.
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

/**
 * A registry for one process. `processMetrics` adds prom-client's default process and Node.js
 * metrics (CPU, memory, event-loop lag sampled every EVENT_LOOP_SAMPLE_MS); drafters leave them
 * out (thousands of edge devices would multiply them, and their memory travels in telemetry).
 */
export function createActorRegistry(
  actor: Actor,
  process: string,
  options: { processMetrics: boolean },
): ActorRegistry {
  const registry = new Registry();
  registry.setDefaultLabels({ actor, process });
  if (options.processMetrics)
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  return { actor, process, registry };
}

/** The `process` label of a control-plane process that has no worker id: `gateway@host:pid`. */
export function controlPlaneProcessName(actor: Actor): string {
  return `${actor}@${hostname()}:${process.pid}`;
}

/** A registry's metrics as the report contract carries them (prom-client's JSON form). */
export async function metricsJsonOf({ registry }: ActorRegistry): Promise<MetricJson[]> {
  return (await registry.getMetricsAsJSON()) as unknown as MetricJson[];
}
