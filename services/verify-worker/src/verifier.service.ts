import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from "@nestjs/common";
import type { Subscription } from "nats";
import {
  ADMIN_IDENTITY,
  SCHEDULER_IDENTITY,
  SchedulerSessionEnded,
  SessionReplay,
  SessionStream,
  VerifierAttach,
  VerifierDetach,
  SchedulerDrafterLeft,
  VerifierOpen,
  VerifierRelease,
  VerifyRound,
  WorkerClose,
  WorkerSessions,
} from "#contracts";
import type { VerifyWorkerConfig } from "#config";
import type { Logger } from "#logging";
import { SpecFleetError, type ContractBus } from "#transport";
import {
  WORKER_BUS,
  WORKER_CONFIG,
  WORKER_LOGGER,
  WORKER_METRICS,
  WORKER_MODEL,
  WorkerStats,
  type WorkerModel,
} from "#worker";
import type { VerifierMetrics } from "#metrics";
import { batchingPolicy } from "#batching";
import type { SessionJournal } from "#journal";
import { RoundRunner } from "./round-runner.js";
import { SelfDrafter } from "./self-drafting.js";
import { SessionCloser } from "./session-closer.js";
import { SessionDrafters } from "./session-drafters.js";
import { SessionLog, type SessionEventSink } from "./session-log.js";
import { SessionOpener } from "./session-opener.js";
import { SessionTable } from "./session-table.js";
import { VerifyBatcher } from "./verify-batcher.js";
import { VerifierMeter } from "./verifier-meter.js";
import { SESSION_JOURNAL } from "./journal.provider.js";
import { createVerifierAudit, type VerifierAudit } from "./audit/create-audit.js";

/**
 * The verifier's wiring: the single writer of each of its sessions' committed sequence. Each
 * subject is served by the part that owns it: opening and resuming (SessionOpener), rounds
 * (RoundRunner), ending, cancelling and letting go (SessionCloser), drafters (SessionDrafters).
 * Everything that touches one session runs under its lock (SessionTable).
 */
@Injectable()
export class VerifierService implements OnApplicationBootstrap, OnModuleDestroy {
  readonly stats = new WorkerStats();
  private readonly table = new SessionTable();
  private readonly stream: SessionLog;
  private readonly closer: SessionCloser;
  private readonly rounds: RoundRunner;
  private readonly opener: SessionOpener;
  private readonly drafters: SessionDrafters;
  private readonly meter: VerifierMeter;
  /** The audit of the drafters' q (services/verify-worker/src/audit). */
  readonly audit: VerifierAudit;
  private subscriptions: Subscription[] = [];
  private watchdog?: NodeJS.Timeout;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: VerifyWorkerConfig,
    @Inject(WORKER_LOGGER) log: Logger,
    @Inject(WORKER_BUS) private readonly bus: ContractBus,
    @Inject(WORKER_MODEL) target: WorkerModel,
    @Inject(SESSION_JOURNAL) journal: SessionJournal,
    @Inject(WORKER_METRICS) metrics: VerifierMetrics,
  ) {
    const id = config.WORKER_ID;
    const meter = (this.meter = new VerifierMeter(metrics, config.METRICS_MAX_PAIRS));
    bus.clock = meter; // what a round's messages cost (bench:round's breakdown)
    const events: SessionEventSink = { publish: (sessionId, event) => bus.publish(SessionStream, sessionId, event) };
    this.stream = new SessionLog(journal, events, log, id);
    this.closer = new SessionCloser(this.table, this.stream, bus, log, id, (ended) =>
      this.bus.publish(SchedulerSessionEnded, "", ended),
    );
    const batcher = new VerifyBatcher(
      batchingPolicy(config.VERIFY_BATCHING),
      config.VERIFY_BATCH_LIMIT || config.MAX_SESSIONS,
      config.VERIFY_BATCH_WAIT_MS,
      (size, tokens) => {
        this.stats.batch(size);
        meter.batch(size, tokens);
      },
      () => this.table.size,
      (ms) => meter.verified(ms),
    );
    this.audit = createVerifierAudit(config, target.loaded.model.llama, bus, log, metrics, (drafterId, reason) =>
      this.drafters.refuse(drafterId, reason),
    );
    this.rounds = new RoundRunner(
      this.table,
      this.stream,
      this.closer,
      batcher,
      target,
      this.stats,
      log,
      id,
      meter,
      this.audit.audit,
      target.selfDraft
        ? new SelfDrafter(target.selfDraft, target.profile, config.SELF_DRAFT_WINDOW, config.SELF_DRAFT_MAX_WINDOW)
        : null,
    );
    this.opener = new SessionOpener(this.table, this.stream, this.rounds, target, log, id, config.MAX_SESSIONS, meter);
    this.drafters = new SessionDrafters(this.table, this.rounds, log, id, config.DRAFTER_SILENCE_MS, (left) =>
      this.bus.publish(SchedulerDrafterLeft, "", left),
    );
  }

  onApplicationBootstrap(): void {
    const id = this.config.WORKER_ID;
    const locked = <T>(sessionId: string, task: () => Promise<T>) => this.table.run(sessionId, task);
    this.subscriptions = [
      this.bus.serve(VerifierOpen, id, (req) => this.opener.open(req)),
      // Under the session's lock, answered once committed (its journal write goes on under the lock).
      this.bus.serve(VerifyRound, id, (req, { from }) => this.rounds.serve(req, from)),
      // Sent by the scheduler (the one owner of cancelling) or an operator: the session ends, its client hears why.
      this.bus.serve(WorkerClose, id, (req, { from }) => {
        if (from !== SCHEDULER_IDENTITY && from !== ADMIN_IDENTITY)
          throw new SpecFleetError("forbidden", `only the scheduler closes a verifier's session, not '${from}'`);
        return locked(req.sessionId, async () => ({ closed: await this.closer.cancel(req.sessionId, req.reason) }));
      }),
      this.bus.serve(VerifierDetach, id, async (req, { from }) => {
        const sender = req.by === "scheduler" ? SCHEDULER_IDENTITY : req.drafterId;
        if (from !== sender)
          throw new SpecFleetError("forbidden", `a detach 'by ${req.by}' comes from '${sender}', not '${from}'`);
        return { detached: this.drafters.detach(req.sessionId, req.drafterId, req.reason, req.by, req.fasterAlone) };
      }),
      this.bus.serve(VerifierAttach, id, (req) =>
        locked(req.sessionId, async () => this.drafters.attach(req.sessionId, req.drafterId, req.drafterModel)),
      ),
      this.bus.serve(VerifierRelease, id, (req) =>
        locked(req.sessionId, () => this.closer.release(req.sessionId, req.reason)),
      ),
      this.bus.serve(WorkerSessions, id, async () => ({ sessionIds: this.table.ids() })),
      this.bus.serve(SessionReplay, id, async (req) => ({
        replayed: await this.stream.replay(req.sessionId, req.fromIndex),
      })),
    ];
    this.watchdog = setInterval(
      () => {
        this.drafters.dropSilent();
        this.meter.sessions(this.table.all());
      },
      Math.min(1000, this.config.DRAFTER_SILENCE_MS),
    );
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.watchdog);
    for (const sub of this.subscriptions) sub.unsubscribe();
    await this.audit.dispose();
  }

  get activeSessions(): number {
    return this.table.size;
  }

  /** Sessions decoded one token per pass: without a drafter, at a verifier that does not draft for itself. */
  get targetOnlySessions(): number {
    if (this.config.SELF_DRAFT_MODEL) return 0;
    return this.table.all().filter((session) => session.alone).length;
  }
}
