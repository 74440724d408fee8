import type { FleetSnapshot, FleetWorker, WorkerRegistration, WorkerState, WorkerTelemetry } from "#contracts";

/**
 * The registry's view of the fleet: registrations, latest telemetry, and each worker's state:
 * `lost` when silent for `lostAfterMs` (or it left), else `draining` when an operator asked,
 * else `degraded` when silent for `degradedAfterMs`, else `ready`. Pure state: persistence and
 * publishing live in FleetRegistryService.
 */
export class FleetState {
  private readonly workers = new Map<string, FleetWorker>();

  constructor(
    private readonly lostAfterMs: number,
    private readonly degradedAfterMs: number,
  ) {}

  restore(workers: readonly FleetWorker[]): void {
    for (const worker of workers) this.workers.set(worker.workerId, worker);
  }

  /** Returns true when this changes what the scheduler sees. */
  register(registration: WorkerRegistration, now: number): boolean {
    const previous = this.workers.get(registration.workerId);
    const draining = previous?.draining ?? false;
    this.workers.set(registration.workerId, {
      ...registration,
      draining,
      state: draining ? "draining" : "ready",
      lastSeenAt: now,
      telemetry: previous?.telemetry ?? null,
    });
    return (
      !previous ||
      previous.state !== this.workers.get(registration.workerId)!.state ||
      previous.startedAt !== registration.startedAt
    );
  }

  /** Telemetry from an unknown worker is ignored until it registers. */
  heartbeat(telemetry: WorkerTelemetry, now: number): { known: boolean; changed: boolean } {
    const worker = this.workers.get(telemetry.workerId);
    if (!worker) return { known: false, changed: false };
    const state: WorkerState = worker.draining ? "draining" : "ready";
    this.workers.set(worker.workerId, { ...worker, state, lastSeenAt: now, telemetry });
    return { known: true, changed: worker.state !== state || powerChanged(worker.telemetry, telemetry) };
  }

  /** A worker that said it is leaving is lost at once; returns whether it was live. */
  leave(workerId: string): boolean {
    const worker = this.workers.get(workerId);
    if (!worker || worker.state === "lost") return false;
    this.workers.set(workerId, { ...worker, state: "lost" });
    return true;
  }

  /** An operator drains (or undrains) a worker; returns it, or undefined when unknown. */
  setDraining(workerId: string, draining: boolean): FleetWorker | undefined {
    const worker = this.workers.get(workerId);
    if (!worker) return undefined;
    const state: WorkerState =
      worker.state === "lost" ? "lost" : draining ? "draining" : worker.state === "draining" ? "ready" : worker.state;
    const updated = { ...worker, draining, state };
    this.workers.set(workerId, updated);
    return updated;
  }

  /** Moves silent workers to `degraded` and then `lost`; returns those whose state changed. */
  sweep(now: number): { lost: string[]; degraded: string[] } {
    const lost: string[] = [];
    const degraded: string[] = [];
    for (const worker of this.workers.values()) {
      if (worker.state === "lost") continue;
      const silent = now - worker.lastSeenAt;
      if (silent > this.lostAfterMs) {
        this.workers.set(worker.workerId, { ...worker, state: "lost" });
        lost.push(worker.workerId);
      } else if (silent > this.degradedAfterMs && worker.state === "ready") {
        this.workers.set(worker.workerId, { ...worker, state: "degraded" });
        degraded.push(worker.workerId);
      }
    }
    return { lost, degraded };
  }

  get(workerId: string): FleetWorker | undefined {
    return this.workers.get(workerId);
  }

  /** The workers as they stand (the registry numbers the snapshot). */
  snapshot(now: number): Pick<FleetSnapshot, "at" | "workers"> {
    return { at: now, workers: [...this.workers.values()] };
  }
}

/** A drafter going on battery (or back) changes pairing at once, not at the next periodic snapshot. */
function powerChanged(before: WorkerTelemetry | null, after: WorkerTelemetry): boolean {
  return (
    before !== null &&
    (before.power.source !== after.power.source || (before.power.level ?? 1) < 0.2 !== (after.power.level ?? 1) < 0.2)
  );
}
