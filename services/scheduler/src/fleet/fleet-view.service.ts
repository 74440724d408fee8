import { Inject, Injectable } from "@nestjs/common";
import {
  FleetPageAssembler,
  type FleetPage,
  type FleetSnapshot,
  type FleetWorker,
  type ModelDescriptor,
  type WorkerProfile,
} from "#contracts";
import { partnerKey, type PairingContext, type WorkerView } from "#pairing";
import type { PairStats, ViewIndex } from "#placement";
import type { Logger } from "#logging";
import { fetchFleetSnapshot, type ContractBus } from "#transport";
import { pairReports, pairStatsFor, viewsOf, type HeldViews } from "./fleet-views.js";
import { SnapshotOrder, type Verdict } from "./snapshot-order.js";
import { SCHEDULER_LOGGER, WORKER_BUS } from "../tokens.js";

const NO_FLEET: FleetSnapshot = { epoch: 0, seq: 0, at: 0, workers: [] };

/**
 * What a pairing policy is given: the workers and the pair history, and the workers by id (a
 * queue pass's index). The views are the service's own, kept for the snapshot: each call resets
 * their sessions to the loads given, so they are the caller's until its next call (every caller
 * decides synchronously, and a pass's placements take slots on them).
 */
export interface PairingInputs {
  views: WorkerView[];
  context: PairingContext;
  index: ViewIndex;
}

/**
 * The scheduler's copy of the registry's fleet: asked for at boot, then kept by fleet events,
 * ordered by the registry's own numbers (`SnapshotOrder`); whatever those cannot settle is asked
 * of the registry directly.
 */
@Injectable()
export class FleetViewService {
  private readonly order = new SnapshotOrder();
  private readonly assembler = new FleetPageAssembler();
  private asking: Promise<boolean> | null = null;
  /** The snapshot's pair statistics, built when first asked for, and the last built. */
  private pairStats: PairStats | null = null;
  private lastStats: ReturnType<typeof pairStatsFor> | null = null;
  /** The snapshot's views and index, built when first asked for, and the last built. */
  private held: HeldViews | null = null;
  private lastHeld: HeldViews | null = null;

  constructor(
    @Inject(WORKER_BUS) private readonly bus: ContractBus,
    @Inject(SCHEDULER_LOGGER) private readonly log: Logger,
  ) {}

  /** Asks the registry for the fleet as it is (one request at a time); true when that changed what is held. */
  refresh(): Promise<boolean> {
    this.asking ??= fetchFleetSnapshot(this.bus, 3000)
      .then((snapshot) => this.take(this.order.answer(snapshot, Date.now())))
      .catch((err: unknown) => {
        this.log.warn({ err: String(err) }, "registry did not answer; waiting for fleet events");
        return false;
      })
      .finally(() => (this.asking = null));
    return this.asking;
  }

  /**
   * A page of a fleet event; resolves true when it completed a snapshot the scheduler now holds
   * (from the event, or from the registry when the event could not be ordered).
   */
  async updatePage(page: FleetPage): Promise<boolean> {
    const snapshot = this.assembler.add(page);
    if (!snapshot) return false;
    const verdict = this.order.offer(snapshot, Date.now());
    if (verdict === "ask-registry") {
      this.log.info({ epoch: snapshot.epoch, seq: snapshot.seq }, "a fleet snapshot out of order; asking the registry");
      return this.refresh();
    }
    return this.take(verdict);
  }

  /** Takes a snapshot as the registry's own answer (tests, and what `refresh` does). */
  update(snapshot: FleetSnapshot): boolean {
    return this.take(this.order.answer(snapshot, Date.now()));
  }

  /** False until the registry's snapshot arrived: nothing can be decided yet. */
  get known(): boolean {
    return this.order.snapshot !== null;
  }

  /** How old the held snapshot is, ms (null: none yet). */
  ageMs(now = Date.now()): number | null {
    return this.order.snapshot ? now - this.order.since : null;
  }

  private take(verdict: Verdict): boolean {
    if (verdict !== "accepted") return false;
    this.pairStats = null;
    this.held = null;
    return true;
  }

  private get snapshot(): FleetSnapshot {
    return this.order.snapshot ?? NO_FLEET;
  }

  /** Per target model, the verifiers taking sessions and the drafters that share their vocabulary and protocol. */
  placeable(): Array<{ model: string; verifiers: number; sessions: number; drafters: number }> {
    const live = this.snapshot.workers.filter((w) => w.state === "ready" || w.state === "degraded");
    const partnerOf = (w: FleetWorker) =>
      partnerKey({ vocabFingerprint: w.model.vocabFingerprint, protocol: w.protocol });
    const byModel = new Map<string, { verifiers: number; sessions: number; partners: Set<string> }>();
    for (const v of live) {
      if (v.role !== "verifier") continue;
      const entry = byModel.get(v.model.name) ?? { verifiers: 0, sessions: 0, partners: new Set<string>() };
      entry.verifiers++;
      entry.sessions += v.maxSessions;
      entry.partners.add(partnerOf(v));
      byModel.set(v.model.name, entry);
    }
    return [...byModel].map(([model, { verifiers, sessions, partners }]) => ({
      model,
      verifiers,
      sessions,
      drafters: live.filter((d) => d.role === "drafter" && partners.has(partnerOf(d))).length,
    }));
  }

  workers(): readonly FleetWorker[] {
    return this.snapshot.workers;
  }

  /** When these workers started, as the registry knows it now (a restart since means they lost their sessions). */
  startedAt(...ids: Array<string | null>): Record<string, number> {
    const started: Record<string, number> = {};
    const { workers } = this.views();
    for (const id of ids) {
      const worker = id === null ? undefined : workers.get(id);
      if (worker) started[worker.workerId] = worker.startedAt;
    }
    return started;
  }

  /** A worker's registered profile (the verifier's speeds go to its drafters as a prior). */
  profileOf(workerId: string): WorkerProfile | undefined {
    return this.views().workers.get(workerId)?.profile;
  }

  /** The model a worker registered (a verifier audits its drafter's q with the same model). */
  modelOf(workerId: string): ModelDescriptor | undefined {
    return this.views().workers.get(workerId)?.model;
  }

  /**
   * What the pairing policy sees: each worker, with the sessions the scheduler's own table has
   * placed on it (`loads`, which do not lag like telemetry), and the pair history from the
   * drafters' link reports (libs/placement `PairStats`), rebuilt once per snapshot.
   */
  pairingInputs(loads: ReadonlyMap<string, number>): PairingInputs {
    const { views, index } = this.views();
    // Every view to none, then the few with sessions (a look-up per worker was most of a decision's cost here).
    for (const view of views) view.activeSessions = 0;
    for (const [workerId, sessions] of loads) {
      const view = index.byId.get(workerId);
      if (view) view.activeSessions = sessions;
    }
    if (!this.pairStats) {
      this.lastStats = pairStatsFor(pairReports(this.snapshot.workers, this.views().workers), this.lastStats);
      this.pairStats = this.lastStats.stats;
    }
    return { views, index, context: this.pairStats.context(Math.random) };
  }

  private views(): HeldViews {
    this.held ??= this.lastHeld = viewsOf(this.snapshot.workers, this.lastHeld);
    return this.held;
  }
}
