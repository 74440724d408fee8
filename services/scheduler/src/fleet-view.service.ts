import { Inject, Injectable } from "@nestjs/common";
import { FleetPageAssembler, type FleetPage, type FleetSnapshot, type FleetWorker } from "#contracts";
import type { PairingContext, WorkerView } from "#pairing";
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
    return true;
  }

  /** False until the registry's snapshot (or a fleet event) arrived: nothing can be decided yet. */
  get known(): boolean {
    return this.snapshot.at > 0;
  }

  workers(): readonly FleetWorker[] {
    return this.snapshot.workers;
  }

  /**
   * What the pairing policy sees: each worker (`activeSessions` from the scheduler's own
   * table, which does not lag), and the pair history the drafters report in their telemetry:
   * round trips per drafter–verifier link, acceptance per drafter model and target model.
   */
  pairingInputs(activeSessions: (workerId: string) => number): PairingInputs {
    const workers = this.snapshot.workers;
    const views: WorkerView[] = workers.map((w) => ({
      id: w.workerId,
      role: w.role,
      modelName: w.model.name,
      vocabFingerprint: w.model.vocabFingerprint,
      ready: w.state === "ready" || w.state === "degraded",
      degraded: w.state === "degraded",
      activeSessions: activeSessions(w.workerId),
      maxSessions: w.maxSessions,
      profile: w.profile,
      power: w.telemetry?.power,
      brokerRttMs: w.telemetry?.brokerRttMs ?? undefined,
      drafting: w.drafting,
    }));
    const modelOf = new Map(workers.map((w) => [w.workerId, w.model.name]));
    const brokerRtt = new Map(
      workers.flatMap((w) =>
        w.telemetry?.brokerRttMs != null ? [[w.workerId, w.telemetry.brokerRttMs] as const] : [],
      ),
    );
    const excess = { sum: 0, links: 0 };
    const roundTrips = new Map<string, number>();
    const acceptance = new Map<string, { accepted: number; rounds: number }>();
    for (const drafter of workers) {
      for (const link of drafter.telemetry?.links ?? []) {
        roundTrips.set(`${drafter.workerId} ${link.verifierId}`, link.roundTripMs);
        const drafterRtt = brokerRtt.get(drafter.workerId);
        const verifierRtt = brokerRtt.get(link.verifierId);
        if (drafterRtt !== undefined && verifierRtt !== undefined) {
          excess.sum += link.roundTripMs - drafterRtt - verifierRtt;
          excess.links++;
        }
        const target = modelOf.get(link.verifierId);
        if (!target || link.rounds === 0) continue;
        const key = `${drafter.model.name} ${target}`;
        const seen = acceptance.get(key) ?? { accepted: 0, rounds: 0 };
        acceptance.set(key, {
          accepted: seen.accepted + link.acceptance * link.rounds,
          rounds: seen.rounds + link.rounds,
        });
      }
    }
    return {
      views,
      context: {
        roundTripMs: (drafterId, verifierId) => roundTrips.get(`${drafterId} ${verifierId}`),
        roundTripExcessMs: excess.links > 0 ? Math.max(0, excess.sum / excess.links) : undefined,
        acceptance: (drafterModel, targetModel) => {
          const seen = acceptance.get(`${drafterModel} ${targetModel}`);
          return seen ? seen.accepted / seen.rounds : undefined;
        },
        random: Math.random,
      },
    };
  }
}
