import type { FleetWorker } from "#contracts";
import type { RegistryMetrics } from "#metrics";

/**
 * Sets the registry's fleet gauges from the workers it knows, each time anew: every gauge is
 * reset first, so a worker's old state (ready, then lost) leaves no series behind and a worker
 * the registry no longer lists loses all of its series. What a worker reports (sessions, speed,
 * broker round trip, battery) is shown while it is live; a lost worker keeps only its state.
 */
export function recordFleet(metrics: RegistryMetrics, workers: Iterable<FleetWorker>): void {
  for (const gauge of Object.values(metrics)) gauge.reset();
  const counts = new Map<string, { role: string; model: string; state: string; count: number }>();
  for (const worker of workers) {
    const { workerId: id, role, state } = worker;
    const model = worker.model.name;
    const key = `${role}\u0000${model}\u0000${state}`;
    const count = counts.get(key);
    if (count) count.count++;
    else counts.set(key, { role, model, state, count: 1 });
    metrics.workerState.set({ worker: id, role, state }, 1);
    if (state === "lost") continue;
    const labels = { worker: id, role };
    metrics.workerMaxSessions.set(labels, worker.maxSessions);
    const telemetry = worker.telemetry;
    if (!telemetry) continue;
    metrics.workerActiveSessions.set(labels, telemetry.activeSessions);
    metrics.workerTokensPerSecond.set(labels, telemetry.tokensPerSecond);
    if (telemetry.brokerRttMs !== null) metrics.workerBrokerRtt.set(labels, telemetry.brokerRttMs / 1000);
    const { source, level } = telemetry.power;
    if (source !== "plugged" && level !== null) metrics.workerBatteryLevel.set({ worker: id, source }, level);
  }
  for (const { role, model, state, count } of counts.values()) metrics.workers.set({ role, model, state }, count);
}
