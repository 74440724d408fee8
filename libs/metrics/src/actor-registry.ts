import { hostname } from "node:os";
import { performance } from "node:perf_hooks";
import { collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { Actor, MetricJson } from "#contracts";

/** One process's metrics: every series carries the process's `actor` and `process` labels. */
export interface ActorRegistry {
  readonly actor: Actor;
  /** The process: a worker's id, or the actor's name with its host and pid. */
  readonly process: string;
  /** The process's own series (what its work counts). */
  readonly registry: Registry;
  /**
   * prom-client's process and Node.js metrics, when the process exports them: apart, because they
   * move while the process is idle, and collecting the event loop's delay restarts its histogram
   * (a report reads them once per report, not once per interval).
   */
  readonly runtime: Registry | null;
}

/**
 * How often the event loop's delay is sampled for `nodejs_eventloop_lag_*`, in ms. prom-client's
 * default (10) is a timer that wakes the process 100 times a second, idle or not: on a machine
 * whose cores a model worker's threads fill, each wake-up of any process holds up a forward pass
 * (docs/benchmarks.md, bench:peer, "a quiet control plane"). Every stall from a second up is
 * seen here; `nodejs_eventloop_utilization_ratio` sees every busy millisecond without a timer.
 */
export const EVENT_LOOP_SAMPLE_MS = 1000;

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
  let runtime: Registry | null = null;
  if (options.processMetrics) {
    runtime = new Registry();
    runtime.setDefaultLabels({ actor, process });
    collectDefaultMetrics({ register: runtime, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
    registerEventLoopUtilization(runtime);
  }
  return { actor, process, registry, runtime };
}

/**
 * `nodejs_eventloop_utilization_ratio`: the share of the time since the last collection that the
 * event loop spent running code (Node's `performance.eventLoopUtilization`). Read at collection,
 * with no timer of its own; near 1, the process cannot keep up.
 */
function registerEventLoopUtilization(registry: Registry): void {
  let last = performance.eventLoopUtilization();
  new Gauge({
    name: "nodejs_eventloop_utilization_ratio",
    help: "Share of the time since the last collection that the event loop was busy (0-1).",
    registers: [registry],
    collect() {
      const now = performance.eventLoopUtilization();
      this.set(performance.eventLoopUtilization(now, last).utilization);
      last = now;
    },
  });
}

/** The `process` label of a control-plane process that has no worker id: `gateway@host:pid`. */
export function controlPlaneProcessName(actor: Actor): string {
  return `${actor}@${hostname()}:${process.pid}`;
}

/** A process's metrics, its own series and then its runtime's, as the report contract carries them. */
export async function metricsJsonOf(actorRegistry: ActorRegistry): Promise<MetricJson[]> {
  return [...(await ownMetricsJsonOf(actorRegistry)), ...(await runtimeMetricsJsonOf(actorRegistry))];
}

/** The process's own series only (what its work moves). */
export async function ownMetricsJsonOf({ registry }: ActorRegistry): Promise<MetricJson[]> {
  return finiteValues((await registry.getMetricsAsJSON()) as unknown as MetricJson[]);
}

/** prom-client's process and Node.js metrics (none when the process does not export them). */
export async function runtimeMetricsJsonOf({ runtime }: ActorRegistry): Promise<MetricJson[]> {
  if (runtime === null) return [];
  return finiteValues((await runtime.getMetricsAsJSON()) as unknown as MetricJson[]);
}

/**
 * Values JSON cannot carry (NaN, ±Infinity would arrive as null and the whole report be refused)
 * are left out: the event loop's mean delay is NaN over an interval it took no sample in.
 */
function finiteValues(metrics: MetricJson[]): MetricJson[] {
  return metrics.map((metric) =>
    metric.values.every((v) => Number.isFinite(v.value))
      ? metric
      : { ...metric, values: metric.values.filter((v) => Number.isFinite(v.value)) },
  );
}
