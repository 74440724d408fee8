import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from "@nestjs/common";
import {
  RoundReports,
  eachRound,
  type CompletionJob,
  type DrafterLeft,
  type RoundReport,
  type SchedulerStatus,
  type SessionEnded,
  type SubmitReply,
} from "#contracts";
import type { SchedulerConfig } from "#config";
import type { Logger } from "#logging";
import type { ContractBus } from "#transport";
import { AdmissionService } from "./admission/admission.service.js";
import { FleetViewService } from "./fleet/fleet-view.service.js";
import { PlacementInsight } from "./insight/placement-insight.js";
import { RebalancerService } from "./rebalancing/rebalancer.service.js";
import { RecoveryService } from "./recovery/recovery.service.js";
import type { SessionSteps } from "./sessions/session-steps.js";
import type { SessionTable } from "./sessions/session-table.js";
import { SCHEDULER_CONFIG, SCHEDULER_LOGGER, SESSION_STEPS, SESSION_TABLE, WORKER_BUS } from "./tokens.js";

/**
 * The scheduler's life, in order: at start it restores the running sessions and the queue from
 * Redis, reconciles the sessions with their verifiers and serves the queue; then it routes each
 * event to the part that owns it (admission, recovery, rebalancing) and keeps the table's
 * progress from the round reports. It stays out of the rounds themselves.
 */
@Injectable()
export class SchedulerService implements OnApplicationBootstrap, OnModuleDestroy {
  private timers: NodeJS.Timeout[] = [];
  private reports?: { unsubscribe(): void };

  constructor(
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
    @Inject(SCHEDULER_LOGGER) private readonly log: Logger,
    @Inject(WORKER_BUS) private readonly bus: ContractBus,
    @Inject(SESSION_TABLE) private readonly table: SessionTable,
    @Inject(SESSION_STEPS) private readonly steps: SessionSteps,
    private readonly fleet: FleetViewService,
    private readonly admission: AdmissionService,
    private readonly recovery: RecoveryService,
    private readonly rebalancer: RebalancerService,
    private readonly insight: PlacementInsight,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.fleet.refresh();
    const running = await this.table.restore();
    await this.admission.restore();
    if (running.length > 0) {
      await this.recovery.reconcile();
      this.log.info({ sessions: this.table.size }, "running sessions restored");
    }
    // What the drafters report of each round: the table's progress (prompt + generated tokens).
    this.reports = this.bus.subscribe(
      RoundReports,
      "",
      eachRound((report) => this.roundReported(report)),
    );
    // Deadlines pass and busy verifiers free up between events: look at the queue every second.
    this.timers.push(setInterval(() => this.admission.pump(), 1000));
    if (this.config.SCHEDULER_REBALANCE_MS > 0) {
      this.timers.push(setInterval(() => this.rebalancer.rebalance(), this.config.SCHEDULER_REBALANCE_MS));
    }
    this.admission.pump();
  }

  async onModuleDestroy(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.reports?.unsubscribe();
    await this.admission.idle();
    await this.steps.settled();
  }

  submit(job: CompletionJob): Promise<SubmitReply> {
    return this.admission.submit(job);
  }

  cancel(sessionId: string): Promise<void> {
    return this.admission.cancel(sessionId);
  }

  /** What the scheduler can place now (the gateway's `/readyz`). */
  status(): SchedulerStatus {
    return {
      fleetKnown: this.fleet.known,
      snapshotAgeMs: this.fleet.ageMs(),
      models: this.fleet.placeable(),
      waiting: this.admission.waiting,
      running: this.table.size,
    };
  }

  /** A round's report: the table's progress, and the achieved rate of the pair it ran on. */
  private roundReported(report: RoundReport): void {
    this.table.progressed(report.sessionId, report.position + report.accepted + 1);
    const session = this.table.get(report.sessionId);
    // A late report from the pair it just left says nothing of the one it is on now.
    if (
      session?.promptTokens != null &&
      session.verifierId === report.verifierId &&
      session.drafterId === report.drafterId
    )
      this.insight.progressed(report.sessionId, session.generatedTokens);
  }

  /** A verifier ended a session (finished, failed or closed): its slots are free. */
  async sessionEnded(ended: SessionEnded): Promise<void> {
    const { sessionId } = ended;
    if (this.table.get(sessionId)?.verifierId === ended.verifierId)
      this.insight.ended(sessionId, ended.generatedTokens);
    if (await this.table.remove(sessionId)) {
      this.admission.traces.ended(sessionId);
      this.admission.pump();
      this.recovery.attachDrafters();
    }
  }

  /** A drafter left a session without being asked: the table frees its slot. */
  drafterLeft(left: DrafterLeft): void {
    this.recovery.drafterLeft(left);
  }

  /** A new fleet snapshot: recover what must be, then serve the queue. */
  fleetChanged(): void {
    this.recovery.fleetChanged();
    this.admission.pump();
  }
}
