import { Inject, Injectable } from "@nestjs/common";
import {
  FleetPageAssembler,
  type FleetPage,
  type FleetSnapshot,
  type FleetWorker,
  type WorkerProfile,
} from "#contracts";
import type { PairingContext, WorkerView } from "#pairing";
import { PairStats } from "#placement";
import type { Logger } from "#logging";
import { fetchFleetSnapshot, type ContractBus } from "#transport";
import { SCHEDULER_LOGGER, WORKER_BUS } from "./tokens.js";

/** What a pairing policy is given: the workers and the pair history. */
export interface PairingInputs {
  views: WorkerView[];
  context: PairingContext;
}

/** The scheduler's copy of the registry's fleet: asked for at boot, then kept by fleet events. */
@Injectable()
export class FleetViewService {
  private snapshot: FleetSnapshot = { at: 0, workers: [] };
  /** The snapshot's pair statistics, built when first asked for. */
  private pairStats: PairStats | null = null;

  constructor(
    @Inject(WORKER_BUS) private readonly bus: ContractBus,
    @Inject(SCHEDULER_LOGGER) private readonly log: Logger,
  ) {}

  async refresh(): Promise<void> {
    try {
      this.update(await fetchFleetSnapshot(this.bus, 3000));
    } catch (err) {
      this.log.warn({ err: String(err) }, "registry did not answer; waiting for fleet events");
    }
  }

  private readonly assembler = new FleetPageAssembler();

  /** A page of a fleet event; true when it completed a snapshot newer than the one held. */
  updatePage(page: FleetPage): boolean {
    const snapshot = this.assembler.add(page);
    return snapshot !== null && this.update(snapshot);
  }

  /** Ignores snapshots older than the one held (events may cross a refresh). */
  update(snapshot: FleetSnapshot): boolean {
    if (snapshot.at < this.snapshot.at) return false;
    this.snapshot = snapshot;
    this.pairStats = null;
    return true;
  }

  /** False until the registry's snapshot (or a fleet event) arrived: nothing can be decided yet. */
  get known(): boolean {
    return this.snapshot.at > 0;
  }

  workers(): readonly FleetWorker[] {
    return this.snapshot.workers;
  }

  /** When these workers started, as the registry knows it now (a restart since means they lost their sessions). */
  startedAt(...ids: Array<string | null>): Record<string, number> {
    const started: Record<string, number> = {};
    for (const worker of this.snapshot.workers)
      if (ids.includes(worker.workerId)) started[worker.workerId] = worker.startedAt;
    return started;
  }

  /** A worker's registered profile (the verifier's speeds go to its drafters as a prior). */
  profileOf(workerId: string): WorkerProfile | undefined {
    return this.snapshot.workers.find((w) => w.workerId === workerId)?.profile;
  }

  /**
   * What the pairing policy sees: each worker, with the sessions the scheduler's own table has
   * placed on it (`loads`, which do not lag like telemetry), and the pair history from the
   * drafters' link reports (libs/placement `PairStats`), rebuilt once per snapshot.
   */
  pairingInputs(loads: ReadonlyMap<string, number>): PairingInputs {
    const views: WorkerView[] = this.snapshot.workers.map((w) => ({
      id: w.workerId,
      role: w.role,
      modelName: w.model.name,
      vocabFingerprint: w.model.vocabFingerprint,
      ready: w.state === "ready" || w.state === "degraded",
      degraded: w.state === "degraded",
      activeSessions: loads.get(w.workerId) ?? 0,
      maxSessions: w.maxSessions,
      profile: w.profile,
      power: w.telemetry?.power,
      brokerRttMs: w.telemetry?.brokerRttMs ?? undefined,
      drafting: w.drafting,
    }));
    this.pairStats ??= pairStatsOf(this.snapshot.workers);
    return { views, context: this.pairStats.context(Math.random) };
  }
}

/** The drafters' link reports in a snapshot, as the pair statistics the policies weigh. */
function pairStatsOf(workers: readonly FleetWorker[]): PairStats {
  const stats = new PairStats();
  const byId = new Map(workers.map((w) => [w.workerId, w]));
  for (const drafter of workers) {
    for (const link of drafter.telemetry?.links ?? []) {
      const verifier = byId.get(link.verifierId);
      if (!verifier) continue;
      const drafterRtt = drafter.telemetry?.brokerRttMs;
      const verifierRtt = verifier.telemetry?.brokerRttMs;
      stats.report(
        { ...link, drafterId: drafter.workerId, drafterModel: drafter.model.name, targetModel: verifier.model.name },
        drafterRtt != null && verifierRtt != null ? { drafter: drafterRtt, verifier: verifierRtt } : undefined,
      );
    }
  }
  return stats;
}
