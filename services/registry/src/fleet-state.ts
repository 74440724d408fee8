import type { FleetSnapshot, FleetWorker, WorkerRegistration, WorkerTelemetry } from "#contracts";

/**
 * The registry's view of the fleet: registrations, latest telemetry, liveness. Pure state:
 * persistence and publishing live in FleetRegistryService.
 */
export class FleetState {
  private readonly workers = new Map<string, FleetWorker>();

  constructor(private readonly lostAfterMs: number) {}

  restore(workers: readonly FleetWorker[]): void {
    for (const worker of workers) this.workers.set(worker.workerId, worker);
  }

  /** Returns true when this changes what the scheduler sees. */
  register(registration: WorkerRegistration, now: number): boolean {
    const previous = this.workers.get(registration.workerId);
    this.workers.set(registration.workerId, {
      ...registration,
      state: "ready",
      lastSeenAt: now,
      telemetry: previous?.telemetry ?? null,
    });
    return !previous || previous.state !== "ready" || previous.startedAt !== registration.startedAt;
  }

  /** Telemetry from an unknown worker is ignored until it registers. */
  heartbeat(telemetry: WorkerTelemetry, now: number): { known: boolean; changed: boolean } {
    const worker = this.workers.get(telemetry.workerId);
    if (!worker) return { known: false, changed: false };
    const changed = worker.state !== "ready";
    this.workers.set(worker.workerId, { ...worker, state: "ready", lastSeenAt: now, telemetry });
    return { known: true, changed };
  }

  /** A worker that said it is leaving is lost at once; returns whether it was live. */
  leave(workerId: string): boolean {
    const worker = this.workers.get(workerId);
    if (!worker || worker.state === "lost") return false;
    this.workers.set(workerId, { ...worker, state: "lost" });
    return true;
  }

  /** Marks workers silent for longer than the timeout as lost; returns their ids. */
  sweep(now: number): string[] {
    const lost: string[] = [];
    for (const worker of this.workers.values()) {
      if (worker.state === "ready" && now - worker.lastSeenAt > this.lostAfterMs) {
        this.workers.set(worker.workerId, { ...worker, state: "lost" });
        lost.push(worker.workerId);
      }
    }
    return lost;
  }

  get(workerId: string): FleetWorker | undefined {
    return this.workers.get(workerId);
  }

  snapshot(now: number): FleetSnapshot {
    return { at: now, workers: [...this.workers.values()] };
  }
}
