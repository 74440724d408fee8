import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from "@nestjs/common";
import { SessionStream, WorkerSessions, type CompletionJob, type RemoteError, type SubmitReply } from "#contracts";
import type { SchedulerConfig } from "#config";
import type { Logger } from "#logging";
import {
  createPairingPolicy,
  rebalanceMoves,
  type LiveSession,
  type PairingDecision,
  type PairingPolicy,
} from "#pairing";
import type { ContractBus } from "#transport";
import { FleetViewService, type PairingInputs } from "./fleet-view.service.js";
import { SessionOpener } from "./session-opener.js";
import { AdmissionQueue, type Waiting } from "./admission-queue.js";
import { SessionStore } from "./session-store.js";
import { SessionTable, type PlacedSession } from "./session-table.js";
import { SCHEDULER_CONFIG, SCHEDULER_LOGGER, WORKER_BUS } from "./tokens.js";

/**
 * Admission, placement and recovery. A request is refused when no compatible pair exists,
 * queued while every pair is busy, and otherwise opened on the verifier (which tokenizes,
 * journals and owns the committed sequence) and then on the drafter. When a verifier dies or
 * is drained, its sessions are resumed on another verifier from their journal; when a drafter
 * dies or is drained, its sessions go on alone at their verifiers and take another drafter when
 * one is free. Waiting requests are durable (a BullMQ queue), and so is the table of running
 * sessions (Redis): a restarted scheduler serves the queue and keeps recovering the sessions.
 * The scheduler stays out of the rounds.
 */
/** For estimating a session's progress when re-pairing: a conservative decode rate. */
const ASSUMED_TOKENS_PER_SECOND = 20;

@Injectable()
export class DispatcherService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly policy: PairingPolicy;
  private queue!: AdmissionQueue;
  private readonly store: SessionStore;
  private readonly table: SessionTable;
  private readonly opener: SessionOpener;
  private expiry?: NodeJS.Timeout;
  private rebalancer?: NodeJS.Timeout;
  /** Sessions being moved or given a drafter right now: the next fleet event leaves them be. */
  private readonly moving = new Set<string>();

  constructor(
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
    @Inject(SCHEDULER_LOGGER) private readonly log: Logger,
    @Inject(WORKER_BUS) private readonly bus: ContractBus,
    private readonly fleet: FleetViewService,
  ) {
    this.policy = createPairingPolicy(config.PAIRING_POLICY);
    this.opener = new SessionOpener(
      bus,
      log,
      config.SCHEDULER_OPEN_TIMEOUT_MS,
      (id) => fleet.workers().find((w) => w.workerId === id)?.profile,
    );
    this.store = SessionStore.connect(config.REDIS_URL, log);
    this.table = new SessionTable(this.store);
  }

  /** Restores the queue and the running sessions, drops those that ended meanwhile, serves the queue. */
  async onApplicationBootstrap(): Promise<void> {
    await this.fleet.refresh();
    this.queue = await AdmissionQueue.open(this.config.REDIS_URL, this.log);
    const running = await this.store.load();
    for (const session of running) this.table.place(session);
    if (running.length > 0) {
      await this.reconcile();
      this.log.info({ sessions: this.table.size }, "running sessions restored");
    }
    // A crash between recording a session as running and taking it off the queue leaves it in both.
    for (const waiting of [...this.queue.entries()])
      if (this.table.has(waiting.job.sessionId)) await this.queue.take(waiting.job.sessionId);
    this.expiry = setInterval(() => this.pump(), 1000);
    if (this.config.SCHEDULER_REBALANCE_MS > 0)
      this.rebalancer = setInterval(() => this.rebalance(), this.config.SCHEDULER_REBALANCE_MS);
    this.pump();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.expiry);
    clearInterval(this.rebalancer);
    await this.queue?.close();
    await this.store.close();
  }

  /** Asks each verifier which sessions it still holds; those that ended while we were away go. */
  private async reconcile(): Promise<void> {
    const verifiers = new Set(this.table.all().map((s) => s.verifierId));
    for (const verifierId of verifiers) {
      const reply = await this.bus.request(WorkerSessions, verifierId, {}, 2000).catch(() => null);
      if (!reply) continue; // not answering: fleet events will tell whether it is lost
      const held = new Set(reply.sessionIds);
      for (const session of this.table.all()) {
        if (session.verifierId === verifierId && !held.has(session.job.sessionId))
          this.table.remove(session.job.sessionId);
      }
    }
  }

  async submit(job: CompletionJob): Promise<SubmitReply> {
    if (this.table.has(job.sessionId) || this.queue.has(job.sessionId)) {
      return { ok: true, sessionId: job.sessionId, queued: false };
    }
    const decision: PairingDecision = this.fleet.known
      ? this.decide(job)
      : { kind: "wait", reason: "the fleet is not known yet" };
    if (decision.kind === "none") return { ok: false, error: { code: decision.code, message: decision.reason } };
    if (decision.kind === "wait" && this.queue.size >= this.config.SCHEDULER_QUEUE_LIMIT) {
      return {
        ok: false,
        error: {
          code: "queue_full",
          message: `the fleet is busy and ${this.queue.size} requests are waiting; retry shortly`,
          retryAfterSeconds: this.config.SCHEDULER_RETRY_AFTER_S,
        },
      };
    }
    await this.queue.add({ job, resume: false, since: Date.now() });
    this.log.info(
      { sessionId: job.sessionId, model: job.model, priority: job.priority, decision: decision.kind },
      "request admitted",
    );
    this.pump();
    return { ok: true, sessionId: job.sessionId, queued: this.queue.has(job.sessionId) };
  }

  sessionEnded(sessionId: string): void {
    if (this.table.remove(sessionId)) this.pump();
  }

  /**
   * After a fleet change: sessions on lost or draining workers are recovered (see the class
   * comment), sessions without a drafter get one if one is free, then the queue moves.
   */
  fleetChanged(): void {
    const workers = new Map(this.fleet.workers().map((w) => [w.workerId, w]));
    const draining = (id: string | null) => id !== null && workers.get(id)?.state === "draining";
    for (const session of this.table.all()) {
      const { sessionId } = session.job;
      if (this.moving.has(sessionId)) continue;
      // Lost, or restarted since the session was placed on it (then it no longer holds the session).
      const gone = (id: string | null) => {
        if (id === null) return false;
        const worker = workers.get(id);
        const placedOn = session.startedAt[id];
        return !worker || worker.state === "lost" || (placedOn !== undefined && worker.startedAt !== placedOn);
      };
      if (gone(session.verifierId)) void this.track(sessionId, this.moveVerifier(session, "verifier lost", false));
      else if (draining(session.verifierId))
        void this.track(sessionId, this.moveVerifier(session, "verifier draining", true));
      else if (gone(session.drafterId)) void this.track(sessionId, this.replaceDrafter(session, "drafter lost", false));
      else if (draining(session.drafterId))
        void this.track(sessionId, this.replaceDrafter(session, "drafter draining", true));
      else if (session.drafterId === null && session.wantsDrafter)
        void this.track(sessionId, this.giveDrafter(session));
    }
    this.pump();
  }

  /** The client is gone: drop the request if it waits, stop its session if it runs. */
  cancel(sessionId: string): void {
    if (this.queue.has(sessionId)) {
      void this.queue.take(sessionId);
      this.log.info({ sessionId }, "queued request cancelled");
      return;
    }
    const session = this.table.get(sessionId);
    if (session) void this.opener.close(session.verifierId, sessionId, "client gone");
  }

  /**
   * Places every waiting request that can be placed now, in the queue's order (priority, resumed
   * sessions, arrival); a new request that waited past its deadline is told so.
   */
  private pump(): void {
    // Before the fleet is known every model looks unserved: decide nothing yet.
    if (!this.queue || !this.fleet.known) return;
    const now = Date.now();
    // The fleet as the policy sees it, rebuilt only when a placement changed the loads.
    let inputs: PairingInputs | null = null;
    // Per model, the requests this pass left waiting: those behind them wait longer.
    const ahead = new Map<string, number>();
    for (const waiting of [...this.queue.entries()]) {
      const { job } = waiting;
      if (now - waiting.since > this.config.SCHEDULER_QUEUE_TIMEOUT_MS) {
        void this.queue.take(job.sessionId);
        this.publishError(job.sessionId, {
          code: "queue_timeout",
          message: `no drafter–verifier pair came free within ${Math.round(this.config.SCHEDULER_QUEUE_TIMEOUT_MS / 1000)} s; retry later`,
          retryAfterSeconds: this.config.SCHEDULER_RETRY_AFTER_S,
        });
        continue;
      }
      inputs ??= this.pairingInputs();
      const decision = this.decide(job, undefined, inputs, {
        ahead: ahead.get(job.model) ?? 0,
        waitedMs: now - waiting.since,
      });
      // A running session waits for its model's verifiers to come back (a partition, a restart).
      if (decision.kind === "wait" || (decision.kind === "none" && waiting.resume)) {
        ahead.set(job.model, (ahead.get(job.model) ?? 0) + 1);
        continue;
      }
      if (decision.kind === "none") {
        void this.queue.take(job.sessionId);
        this.publishError(job.sessionId, { code: decision.code, message: decision.reason });
        continue;
      }
      const drafterId = decision.kind === "pair" ? decision.drafterId : null;
      if (decision.kind === "alone")
        this.log.info(
          { sessionId: job.sessionId, verifierId: decision.verifierId, reason: decision.reason },
          "target-only session",
        );
      // Recorded as running before it leaves the queue: a crash in between repeats it, never loses it.
      this.table.place({
        job,
        verifierId: decision.verifierId,
        drafterId,
        placedAt: Date.now(),
        wantsDrafter: job.window !== 0,
        startedAt: this.startedAt(decision.verifierId, drafterId),
      });
      void this.queue.take(job.sessionId);
      inputs = null;
      void this.track(job.sessionId, this.open(job, decision.verifierId, drafterId, waiting.resume));
    }
  }

  private pairingInputs(): PairingInputs {
    const loads = this.table.loads();
    return this.fleet.pairingInputs((id) => loads.get(id) ?? 0);
  }

  private decide(
    job: CompletionJob,
    onlyVerifier?: string,
    inputs = this.pairingInputs(),
    queue?: { ahead: number; waitedMs: number },
  ): PairingDecision {
    const { views, context } = inputs;
    // Finding a drafter for a running session: its verifier only, not counting the session itself.
    const fleet = onlyVerifier
      ? views.flatMap((w) =>
          w.role === "drafter" ? [w] : w.id === onlyVerifier ? [{ ...w, activeSessions: w.activeSessions - 1 }] : [],
        )
      : views;
    // Placing a request weighs its length and its place in the queue; re-pairing one does not wait.
    return this.policy(
      fleet,
      queue ? { model: job.model, maxTokens: job.maxTokens, ...queue } : { model: job.model },
      context,
    );
  }

  private async open(job: CompletionJob, verifierId: string, drafterId: string | null, resume: boolean): Promise<void> {
    try {
      const verifier = await this.opener.openVerifier(job, verifierId, drafterId, resume);
      if (!verifier.ok && verifier.error.code === "worker_busy")
        return this.requeue({ job, resume, since: Date.now() }, verifier.error.message);
      if (!verifier.ok) return this.fail(job.sessionId, verifier.error);
      if (verifier.finished) {
        // It had finished before its verifier was lost; the new one only replayed its events.
        this.table.remove(job.sessionId);
        this.pump();
        return;
      }
      if (drafterId === null) return;
      const drafter = await this.opener.openDrafter(job, verifierId, drafterId, [
        ...verifier.promptTokens,
        ...verifier.generatedTokens,
      ]);
      if (!drafter.ok) {
        // The verifier has it: it goes on alone, and takes another drafter when one is free.
        this.log.warn(
          { sessionId: job.sessionId, drafterId, reason: drafter.error.message },
          "the drafter refused; going on alone",
        );
        this.table.setDrafter(job.sessionId, null);
        await this.opener.detach(verifierId, job.sessionId, drafterId, "drafter refused");
        return;
      }
      this.log.info(
        {
          sessionId: job.sessionId,
          verifierId,
          drafterId,
          promptTokens: verifier.promptTokens.length,
          resumedAt: resume ? verifier.generatedTokens.length : undefined,
        },
        resume ? "session resumed" : "session opened",
      );
    } catch (err) {
      await this.opener.close(verifierId, job.sessionId, "open failed");
      // A running session is not given up for one unreachable verifier: it waits for another.
      if (resume) return this.requeue({ job, resume, since: Date.now() }, `resume failed: ${(err as Error).message}`);
      this.fail(job.sessionId, { code: "internal", message: `could not open the session: ${(err as Error).message}` });
    }
  }

  /**
   * Moves a session to another verifier: a draining one lets go first (a lost one cannot); its
   * drafter stops following; the session waits at the head of the queue and is resumed from its
   * journal wherever the policy places it.
   */
  private async moveVerifier(session: PlacedSession, reason: string, release: boolean): Promise<void> {
    const { sessionId } = session.job;
    this.log.warn({ sessionId, verifierId: session.verifierId, reason }, "moving the session to another verifier");
    if (session.drafterId) await this.opener.close(session.drafterId, sessionId, reason);
    if (release && !(await this.opener.release(session.verifierId, sessionId, reason))) {
      // It had already ended (or never started) there: nothing to move.
      this.table.remove(sessionId);
      return;
    }
    // Queued before it leaves the table: a crash in between finds it in both, never in neither.
    await this.queue.add({ job: session.job, resume: true, since: Date.now() });
    this.table.remove(sessionId);
    this.pump();
  }

  /** The session's drafter is gone or draining: its verifier goes on alone, then takes another drafter. */
  private async replaceDrafter(session: PlacedSession, reason: string, close: boolean): Promise<void> {
    const { sessionId } = session.job;
    const drafterId = session.drafterId!;
    this.log.warn({ sessionId, drafterId, reason }, "replacing the session's drafter");
    if (close) await this.opener.close(drafterId, sessionId, reason);
    await this.opener.detach(session.verifierId, sessionId, drafterId, reason);
    this.table.setDrafter(sessionId, null);
    await this.giveDrafter(session);
  }

  /** A session decoding alone takes the drafter the policy picks for its verifier, if one is free. */
  private async giveDrafter(session: PlacedSession): Promise<void> {
    const decision = this.decide(session.job, session.verifierId);
    if (decision.kind !== "pair") return;
    this.table.setDrafter(
      session.job.sessionId,
      decision.drafterId,
      this.startedAt(decision.drafterId)[decision.drafterId],
    );
    const attached = await this.opener
      .attachDrafter(session.job, session.verifierId, decision.drafterId)
      .catch((err: unknown) => {
        this.log.warn({ sessionId: session.job.sessionId, err: String(err) }, "could not attach a drafter");
        return false;
      });
    if (!attached) this.table.setDrafter(session.job.sessionId, null);
    else
      this.log.info(
        { sessionId: session.job.sessionId, verifierId: session.verifierId, drafterId: decision.drafterId },
        "drafter attached",
      );
  }

  /**
   * Re-pairs running sessions whose pair has become a poor one (a slowed or low-battery
   * drafter, a crowded verifier, a fallen acceptance) when the predicted gain outweighs the
   * cost of moving (libs/pairing `rebalanceMoves`). The scheduler does not follow each
   * session's progress: it estimates it from the time since placement.
   */
  private rebalance(): void {
    if (!this.fleet.known) return;
    const { views, context } = this.pairingInputs();
    const now = Date.now();
    const live: LiveSession[] = this.table
      .all()
      .filter((s) => s.drafterId !== null && !this.moving.has(s.job.sessionId))
      .map((s) => {
        const generated = Math.min(s.job.maxTokens, ((now - s.placedAt) / 1000) * ASSUMED_TOKENS_PER_SECOND);
        return {
          sessionId: s.job.sessionId,
          request: { model: s.job.model },
          verifierId: s.verifierId,
          drafterId: s.drafterId,
          committedTokens: Math.ceil(s.job.prompt.length / 4 + generated),
          remainingTokens: Math.max(0, s.job.maxTokens - generated),
        };
      });
    for (const move of rebalanceMoves(live, views, context)) {
      const session = this.table.get(move.sessionId);
      if (!session) continue;
      this.log.info(
        { ...move, fromVerifier: session.verifierId, fromDrafter: session.drafterId },
        "re-pairing a session",
      );
      if (move.verifierId === session.verifierId)
        void this.track(move.sessionId, this.switchDrafter(session, move.drafterId));
      else void this.track(move.sessionId, this.moveTo(session, move.verifierId, move.drafterId));
    }
  }

  /** The session's verifier stays; its drafter is replaced by `drafterId`. */
  private async switchDrafter(session: PlacedSession, drafterId: string): Promise<void> {
    const { sessionId } = session.job;
    const old = session.drafterId!;
    await this.opener.close(old, sessionId, "re-paired");
    await this.opener.detach(session.verifierId, sessionId, old, "re-paired");
    this.table.setDrafter(sessionId, drafterId, this.startedAt(drafterId)[drafterId]);
    if (!(await this.opener.attachDrafter(session.job, session.verifierId, drafterId)))
      this.table.setDrafter(sessionId, null);
  }

  /** The session moves to another verifier (and drafter): released, then resumed there from its journal. */
  private async moveTo(session: PlacedSession, verifierId: string, drafterId: string): Promise<void> {
    const { sessionId } = session.job;
    if (session.drafterId) await this.opener.close(session.drafterId, sessionId, "re-paired");
    if (!(await this.opener.release(session.verifierId, sessionId, "re-paired"))) return;
    this.table.place({ ...session, verifierId, drafterId, startedAt: this.startedAt(verifierId, drafterId) });
    await this.open(session.job, verifierId, drafterId, true);
  }

  /** When these workers started, as the registry knows it now. */
  private startedAt(...ids: Array<string | null>): Record<string, number> {
    const started: Record<string, number> = {};
    for (const worker of this.fleet.workers())
      if (ids.includes(worker.workerId)) started[worker.workerId] = worker.startedAt;
    return started;
  }

  /** Runs a recovery step for a session, one at a time; the next fleet event sees the result. */
  private async track(sessionId: string, step: Promise<void>): Promise<void> {
    this.moving.add(sessionId);
    try {
      await step;
    } catch (err) {
      this.log.error({ sessionId, err: String(err) }, "session recovery failed");
    } finally {
      this.moving.delete(sessionId);
    }
  }

  /** The verifier was busier than the table said (a session ending): retry at the next event. */
  private async requeue(waiting: Waiting, reason: string): Promise<void> {
    if (!this.table.remove(waiting.job.sessionId)) return;
    this.log.info({ sessionId: waiting.job.sessionId, reason }, "requeued");
    await this.queue.add(waiting);
  }

  /** Tells the client why (always: the table entry may already be gone) and frees the slots. */
  private fail(sessionId: string, error: RemoteError): void {
    this.table.remove(sessionId);
    this.log.warn({ sessionId, code: error.code, reason: error.message }, "session failed");
    this.publishError(sessionId, error);
    this.pump();
  }

  private publishError(sessionId: string, error: RemoteError): void {
    this.bus.publish(SessionStream, sessionId, { kind: "error", sessionId, error });
  }
}
