import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from "@nestjs/common";
import {
  FleetChanged,
  fleetPages,
  isReservedIdentity,
  type FleetPage,
  type FleetSnapshot,
  type FleetWorker,
  type WorkerRegistration,
  type WorkerTelemetry,
} from "#contracts";
import type { RegistryConfig } from "#config";
import type { Logger } from "#logging";
import type { RegistryMetrics } from "#metrics";
import type { ContractBus } from "#transport";
import { recordFleet } from "./fleet-gauges.js";
import { FleetState } from "./fleet-state.js";
import { REGISTRY_BUS, REGISTRY_CONFIG, REGISTRY_LOGGER, REGISTRY_METRICS, WORKER_REPOSITORY } from "./tokens.js";
import type { WorkerRepository } from "./worker-repository.js";

const PUBLISH_COALESCE_MS = 50;
/** The periodic snapshot, on a small fleet. */
const PUBLISH_EVERY_MS = 1000;
/** Workers changed within this long are written to Redis together (a fleet of 20,000 sends 20,000 heartbeats a second). */
const PERSIST_COALESCE_MS = 100;

/**
 * Keeps the fleet state, mirrors it to Redis so a restarted registry recovers it, marks silent
 * workers lost, and publishes the snapshot on every change and once a second.
 */
@Injectable()
export class FleetRegistryService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly state: FleetState;
  private sweepTimer?: NodeJS.Timeout;
  private publishTimer?: NodeJS.Timeout;

  constructor(
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
    @Inject(REGISTRY_LOGGER) private readonly log: Logger,
    @Inject(WORKER_REPOSITORY) private readonly repository: WorkerRepository,
    @Inject(REGISTRY_BUS) private readonly bus: ContractBus,
    @Inject(REGISTRY_METRICS) private readonly metrics: RegistryMetrics,
  ) {
    this.state = new FleetState(config.REGISTRY_LOST_AFTER_MS, config.REGISTRY_DEGRADED_AFTER_MS);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.restore();
    this.sweepTimer = setInterval(() => this.sweep(), this.config.REGISTRY_SWEEP_MS);
    this.publishPeriodically();
  }

  /**
   * The fleet as it is, once a second, or less often as the fleet grows: at most a twentieth of
   * the registry's time (a snapshot costs it, and every reader, in proportion to the fleet;
   * 20,000 workers: one every few seconds). Changes of state still go out at once (`publishSoon`).
   */
  private publishPeriodically(): void {
    const delay = Math.max(PUBLISH_EVERY_MS, 20 * this.publishCostMs);
    this.publishTimer = setTimeout(() => {
      this.publish();
      this.publishPeriodically();
    }, delay);
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.sweepTimer);
    clearTimeout(this.publishTimer);
    this.publishTimer = undefined;
    clearTimeout(this.publishPending);
    await this.saveChanged();
  }

  /**
   * Decides which registrations are refused, and why (the credential authority: a quarantined
   * drafter, a role other than its credential's).
   */
  refuseRegistration(why: (registration: WorkerRegistration) => string | null): void {
    this.refusal = why;
  }

  private refusal: (registration: WorkerRegistration) => string | null = () => null;

  register(registration: WorkerRegistration): void {
    const refused = isReservedIdentity(registration.workerId)
      ? "a control-plane identity is no worker id"
      : this.refusal(registration);
    if (refused !== null) {
      this.log.warn({ workerId: registration.workerId, reason: refused }, "registration refused");
      return;
    }
    this.endSelfDrain(registration);
    const changed = this.state.register(registration, Date.now());
    this.persist(registration.workerId);
    if (changed) {
      this.log.info(
        {
          workerId: registration.workerId,
          role: registration.role,
          model: registration.model.name,
          // What it pairs on besides its vocabulary: during an upgrade, which release's partners it takes.
          protocol: registration.protocol ?? "unknown",
        },
        "worker registered",
      );
      this.publishSoon();
    }
  }

  heartbeat(telemetry: WorkerTelemetry): void {
    const { known, changed } = this.state.heartbeat(telemetry, Date.now());
    if (!known || !changed) return;
    // Only a change of state is written: a restarted registry gives every restored worker a
    // liveness period anyway, and its telemetry comes again within a second (writing every
    // heartbeat cost the registry a seventh of its CPU).
    this.persist(telemetry.workerId);
    this.log.info({ workerId: telemetry.workerId }, "worker back");
    this.publishSoon();
  }

  leave(workerId: string): void {
    if (!this.state.leave(workerId)) return;
    this.persist(workerId);
    this.log.info({ workerId }, "worker left");
    this.publishSoon();
  }

  /** A new snapshot, numbered after every earlier one of this registry process. */
  snapshot(): FleetSnapshot {
    return { epoch: this.epoch, seq: ++this.seq, ...this.state.snapshot(Date.now()) };
  }

  /**
   * A page of the snapshot numbered `seq` (kept for a few seconds so a reader gets all its pages
   * of one snapshot), or of a new one.
   */
  snapshotPage(page: number, seq?: number): FleetPage {
    const kept = this.lastSnapshot;
    if (seq === undefined || kept?.seq !== seq || Date.now() - kept.at > 5000) this.lastSnapshot = this.snapshot();
    const pages = fleetPages(this.lastSnapshot!);
    return pages[Math.min(page, pages.length - 1)]!;
  }

  /** This registry process: its snapshots order after any earlier registry's (a restart), and among themselves by `seq`. */
  private readonly epoch = Date.now();
  private seq = 0;

  private lastSnapshot?: FleetSnapshot;

  /** An operator drains or undrains a worker: it takes no new sessions, and the scheduler moves its sessions off. */
  setDraining(workerId: string, draining: boolean): FleetWorker | undefined {
    const worker = this.state.setDraining(workerId, draining);
    if (!worker) return undefined;
    this.persist(workerId);
    this.log.info({ workerId, draining }, draining ? "worker draining" : "worker undrained");
    this.publishSoon();
    return worker;
  }

  /**
   * A worker being stopped drains itself: as an operator's drain, until the worker starts again
   * (a pod started again under its name must not stay drained).
   */
  drainSelf(workerId: string): FleetWorker | undefined {
    const startedAt = this.state.get(workerId)?.startedAt;
    const worker = this.setDraining(workerId, true);
    if (worker && startedAt !== undefined) this.selfDrained.set(workerId, startedAt);
    return worker;
  }

  /** Which workers drained themselves, and in which life (their `startedAt`). Kept in memory only. */
  private readonly selfDrained = new Map<string, number>();

  private endSelfDrain(registration: WorkerRegistration): void {
    const drainedIn = this.selfDrained.get(registration.workerId);
    if (drainedIn === undefined || drainedIn === registration.startedAt) return;
    this.selfDrained.delete(registration.workerId);
    this.state.setDraining(registration.workerId, false);
  }

  private sweep(): void {
    const { lost, degraded } = this.state.sweep(Date.now());
    if (lost.length === 0 && degraded.length === 0) return;
    for (const workerId of [...lost, ...degraded]) this.persist(workerId);
    if (lost.length > 0) this.log.warn({ workers: lost }, "workers lost");
    if (degraded.length > 0) this.log.warn({ workers: degraded }, "workers degraded: telemetry is late");
    this.publishSoon();
  }

  /**
   * Changes arriving together (a fleet starting, thousands of workers registering) go out as
   * one snapshot: a worker is told of a change within PUBLISH_COALESCE_MS.
   */
  private publishSoon(): void {
    if (this.publishPending) return;
    // A snapshot costs the registry (and every reader) in proportion to the fleet: changes wait
    // at least ten times what the last one took to send, so sending stays a small share of the
    // CPU however large the fleet (20,000 workers: ~1 s; a few hundred: PUBLISH_COALESCE_MS).
    const delay = Math.max(PUBLISH_COALESCE_MS, 10 * this.publishCostMs);
    this.publishPending = setTimeout(() => this.publish(), delay);
  }

  /** How long the last snapshot took to build and send, ms. */
  private publishCostMs = 0;

  private publishPending?: NodeJS.Timeout;

  private publish(): void {
    const started = performance.now();
    clearTimeout(this.publishPending);
    this.publishPending = undefined;
    const snapshot = this.snapshot();
    this.recordMetrics(snapshot);
    try {
      for (const page of fleetPages(snapshot)) this.bus.publish(FleetChanged, "", page);
    } catch (err) {
      // The next change or the periodic publish sends the fleet again.
      this.log.warn({ err: String(err) }, "could not publish the fleet");
    }
    this.publishCostMs = performance.now() - started;
  }

  private metricsAt = Number.NEGATIVE_INFINITY;

  /**
   * The fleet's gauges from a snapshot, at most twice per metrics report: setting them costs
   * ~20 µs a worker (prom-client), too much for every snapshot of a large fleet starting up.
   */
  private recordMetrics(snapshot: FleetSnapshot): void {
    const interval = this.config.METRICS_REPORT_MS;
    if (interval === 0 || snapshot.at - this.metricsAt < interval / 2) return;
    this.metricsAt = snapshot.at;
    recordFleet(this.metrics, snapshot.workers);
  }

  /**
   * Written behind: the registry answers from memory, and heartbeats rewrite a worker every
   * second. The workers changed within PERSIST_COALESCE_MS go to Redis in one write, each as it
   * is then (one write per heartbeat cost the registry more than the heartbeat itself).
   */
  private persist(workerId: string): void {
    this.unsaved.add(workerId);
    this.persistPending ??= setTimeout(() => void this.saveChanged(), PERSIST_COALESCE_MS);
  }

  private readonly unsaved = new Set<string>();
  private persistPending?: NodeJS.Timeout;

  private async saveChanged(): Promise<void> {
    clearTimeout(this.persistPending);
    this.persistPending = undefined;
    const workers = [...this.unsaved].flatMap((id) => this.state.get(id) ?? []);
    this.unsaved.clear();
    await this.repository.save(...workers).catch((err: unknown) => {
      this.log.warn({ err: String(err) }, "could not persist the fleet to Redis");
    });
  }

  private async restore(): Promise<void> {
    const workers = await this.repository.load();
    // A restart must not look like the whole fleet dying: workers that were live get one
    // liveness period from now to be heard again, as if they had just sent a heartbeat.
    const now = Date.now();
    this.state.restore(workers.map((w) => (w.state !== "lost" ? { ...w, lastSeenAt: now } : w)));
    this.log.info({ workers: workers.length }, "fleet restored from Redis");
  }
}
