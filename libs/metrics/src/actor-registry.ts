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
 * A registry for one process. `processMetrics` adds prom-client's default process and Node.js
 * metrics (CPU, memory, event-loop lag); drafters leave them out (thousands of edge devices
 * would multiply them, and their memory travels in telemetry).
 */
export function createActorRegistry(
  actor: Actor,
  process: string,
  options: { processMetrics: boolean },
): ActorRegistry {
  const registry = new Registry();
  registry.setDefaultLabels({ actor, process });
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
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
