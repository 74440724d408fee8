import { Inject, Injectable } from "@nestjs/common";
import { SessionStream, type CompletionJob, type RemoteError, type SubmitReply } from "#contracts";
import type { SchedulerConfig } from "#config";
import type { Logger } from "#logging";
import type { PairingDecision, PairingPolicy } from "#pairing";
import { queuePass, type PassOutcome } from "#placement";
import type { ContractBus } from "#transport";
import { FleetViewService } from "../fleet/fleet-view.service.js";
import { MoveLog } from "../insight/move-log.js";
import { PlacementInsight } from "../insight/placement-insight.js";
import type { PlacedSession, SessionTable } from "../sessions/session-table.js";
import type { SessionSteps } from "../sessions/session-steps.js";
import type { SessionWorkers } from "../sessions/session-workers.js";
import { SessionTraces } from "../sessions/session-traces.js";
import {
  ADMISSION_REPOSITORY,
  PAIRING_POLICY,
  SCHEDULER_CONFIG,
  SCHEDULER_LOGGER,
  SESSION_STEPS,
  SESSION_TABLE,
  SESSION_WORKERS,
  WORKER_BUS,
} from "../tokens.js";
import type { AdmissionRepository } from "./admission-repository.js";
import { waitingFor, type Waiting } from "./waiting.js";
import { WaitingLine } from "./waiting-line.js";

type Placement = Extract<PairingDecision, { kind: "pair" | "alone" }>;

/**
 * Admission: a request is decided once. With a free pair (and nobody of its model waiting ahead)
 * it is placed straight into the durable session table and opened; when it must wait (no pair
 * free, or the policy prefers to wait for a faster one) it goes into the durable queue, which each
 * pass serves in order (priorities, deadlines); with no verifier of its model it is refused.
 * Written to Redis before it is acknowledged or opened: a scheduler that dies at any step finds
 * every accepted request in the table or the queue.
 */
@Injectable()
export class AdmissionService {
  private readonly line = new WaitingLine();
  private pumping: Promise<void> | null = null;
  private again = false;
  /** Each request's trace: its admission, and every opening of its session (docs/tracing.md). */
  readonly traces = new SessionTraces();
  /** The pairing policy as queue passes call it: timed, counted, its placements' rates predicted. */
  private readonly placing: PairingPolicy;

  constructor(
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
    @Inject(SCHEDULER_LOGGER) private readonly log: Logger,
    @Inject(WORKER_BUS) private readonly bus: Pick<ContractBus, "publish">,
    @Inject(PAIRING_POLICY) policy: PairingPolicy,
    @Inject(ADMISSION_REPOSITORY) private readonly repository: AdmissionRepository,
    @Inject(SESSION_TABLE) private readonly table: SessionTable,
    @Inject(SESSION_WORKERS) private readonly workers: SessionWorkers,
    @Inject(SESSION_STEPS) private readonly steps: SessionSteps,
    private readonly fleet: FleetViewService,
    private readonly insight: PlacementInsight,
    private readonly moves: MoveLog,
  ) {
    this.placing = insight.observe(policy);
  }

  /** Loads what waited before a restart; a request also found running had been placed already. */
  async restore(): Promise<void> {
    for (const waiting of await this.repository.load()) {
      if (this.table.has(waiting.job.sessionId)) await this.repository.remove(waiting.job.sessionId);
      else this.line.insert(waiting);
    }
    if (this.line.size > 0) this.log.info({ waiting: this.line.size }, "queued requests restored");
  }

  get waiting(): number {
    return this.line.size;
  }

  /** The waiting requests in serving order (the insight's queue). */
  waitingLine(): readonly Waiting[] {
    return this.line.entries();
  }

  isWaiting(sessionId: string): boolean {
    return this.line.has(sessionId);
  }

  async submit(job: CompletionJob): Promise<SubmitReply> {
    const { sessionId } = job;
    if (this.table.has(sessionId) || this.line.has(sessionId)) return { ok: true, sessionId, queued: false };
    const waiting = waitingFor(job, false, Date.now());
    // Behind others of its model it waits its turn; before the fleet is known nothing can be decided.
    const outcome = this.fleet.known && !this.line.hasModel(job.model) ? this.passOver([waiting])[0] : undefined;
    this.traces.admitted(job, outcome);
    if (outcome?.kind === "refuse") {
      return { ok: false, error: { code: outcome.decision.code, message: outcome.decision.reason } };
    }
    if (outcome?.kind === "place") {
      await this.launch(waiting, outcome.decision);
      this.log.info({ sessionId, model: job.model, priority: job.priority }, "request placed");
      return { ok: true, sessionId, queued: false, startWithinMs: this.startWithinMs };
    }
    if (this.line.size >= this.config.SCHEDULER_QUEUE_LIMIT) {
      return {
        ok: false,
        error: {
          code: "queue_full",
          message: `the fleet is busy and ${this.line.size} requests are waiting; retry shortly`,
          retryAfterSeconds: this.config.SCHEDULER_RETRY_AFTER_S,
        },
      };
    }
    await this.enqueue(waiting);
    this.log.info({ sessionId, model: job.model, priority: job.priority, waiting: this.line.size }, "request queued");
    return { ok: true, sessionId, queued: true, startWithinMs: this.startWithinMs };
  }

  /**
   * How long an accepted request may take to open, or to be told it timed out: its time in the
   * queue and an open. A placed one is told too: a verifier that turns out busy sends it back to
   * the queue. The gateway waits this long (and a little) before answering queue_timeout itself.
   */
  private get startWithinMs(): number {
    return this.config.SCHEDULER_QUEUE_TIMEOUT_MS + this.config.SCHEDULER_OPEN_TIMEOUT_MS;
  }

  /** The client is gone: a waiting request leaves the queue; a running one is closed at its verifier. */
  async cancel(sessionId: string): Promise<void> {
    if (this.line.remove(sessionId)) {
      await this.repository.remove(sessionId);
      this.log.info({ sessionId }, "queued request cancelled");
      return;
    }
    const session = this.table.get(sessionId);
    if (!session) return;
    // After any step in flight (an open): the verifier then holds it and ends it, telling the client.
    await this.steps.run(sessionId, "cancel", () => {
      const current = this.table.get(sessionId);
      return current ? this.workers.close(current.verifierId, sessionId, "cancelled by the client") : Promise.resolve();
    });
  }

  /** A running session goes back to the head of its priority to be resumed elsewhere. */
  async resumeElsewhere(session: PlacedSession): Promise<void> {
    await this.requeue(session, true);
    this.pump();
  }

  /** Serves the queue: one pass, and another if something changed meanwhile. */
  pump(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = (async () => {
      do {
        this.again = false;
        await this.passOnce().catch((err: unknown) => this.log.error({ err: String(err) }, "queue pass failed"));
      } while (this.again);
    })().finally(() => (this.pumping = null));
  }

  /** Resolves when no pass is running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  /**
   * Opens a placed session on its workers (a step of its own) and acts on how it went; also used
   * by the rebalancer, which places a moved session itself.
   */
  open(session: PlacedSession, resume: boolean): Promise<void> {
    return this.traces.opening(session, resume, () => this.openOnWorkers(session, resume));
  }

  private async openOnWorkers(session: PlacedSession, resume: boolean): Promise<void> {
    const { job, verifierId, drafterId } = session;
    const outcome = await this.workers.open(job, verifierId, drafterId, resume);
    switch (outcome.kind) {
      case "opened":
        this.insight.progressed(job.sessionId, outcome.generatedTokens);
        await this.table.opened(job.sessionId, outcome.promptTokens, outcome.generatedTokens);
        if (drafterId !== null && !outcome.drafterFollows) await this.table.setDrafter(job.sessionId, null);
        this.log.info(
          { sessionId: job.sessionId, verifierId, drafterId, promptTokens: outcome.promptTokens, resume },
          resume ? "session resumed" : "session opened",
        );
        return;
      case "finished":
        await this.table.remove(job.sessionId);
        return this.pump();
      case "busy":
        // Placed again at the next pass (a fleet event, a session's end, or the next second), not at once.
        this.log.info({ sessionId: job.sessionId, verifierId, reason: outcome.reason }, "verifier busy; requeued");
        this.moves.requeued(job.sessionId, { verifierId, drafterId }, `was busy (${outcome.reason})`);
        return this.requeue(session, resume);
      case "refused":
        return this.fail(job.sessionId, outcome.error);
      case "unreachable":
        // A running session is not given up for one unreachable verifier: it waits for another.
        if (resume) {
          this.moves.requeued(
            job.sessionId,
            { verifierId, drafterId },
            `did not answer the resume (${outcome.reason})`,
          );
          return this.requeue(session, true);
        }
        return this.fail(job.sessionId, {
          code: "internal",
          message: `could not open the session: ${outcome.reason}`,
        });
    }
  }

  private passOver(waiting: Iterable<Waiting>): PassOutcome<Waiting>[] {
    const { views, context, index } = this.fleet.pairingInputs(this.table.loads());
    return queuePass(waiting, views, this.placing, context, {
      index,
      now: Date.now(),
      queueTimeoutMs: this.config.SCHEDULER_QUEUE_TIMEOUT_MS,
      lookahead: this.config.SCHEDULER_QUEUE_LOOKAHEAD,
    });
  }

  private async passOnce(): Promise<void> {
    // Before the fleet is known every model looks unserved: decide nothing yet.
    if (!this.fleet.known || this.line.size === 0) return;
    // Every outcome of the pass is started before any is awaited: each launch records its
    // placement in the table's memory at once, so whatever runs while this pass writes to Redis
    // (an attach pass, say) sees all the slots it took, not only the first.
    const writes: Promise<void>[] = [];
    for (const outcome of this.passOver([...this.line.entries()])) {
      const { sessionId } = outcome.waiting.job;
      if (outcome.kind === "place") {
        writes.push(this.launch(outcome.waiting, outcome.decision));
        continue;
      }
      this.line.remove(sessionId);
      writes.push(this.repository.remove(sessionId));
      if (outcome.kind === "refuse")
        this.publishError(sessionId, { code: "model_not_found", message: outcome.decision.reason });
      else
        this.publishError(sessionId, {
          code: "queue_timeout",
          message: `no drafter–verifier pair came free within ${Math.round(this.config.SCHEDULER_QUEUE_TIMEOUT_MS / 1000)} s; retry later`,
          retryAfterSeconds: this.config.SCHEDULER_RETRY_AFTER_S,
        });
    }
    await Promise.all(writes);
  }

  /** Records the placement durably, takes it off the queue if it waited there, and opens it. */
  private async launch(waiting: Waiting, decision: Placement): Promise<void> {
    const { job } = waiting;
    const drafterId = decision.kind === "pair" ? decision.drafterId : null;
    if (decision.kind === "alone") {
      this.log.info(
        { sessionId: job.sessionId, verifierId: decision.verifierId, reason: decision.reason },
        "decoding alone",
      );
    }
    const session: PlacedSession = {
      job,
      verifierId: decision.verifierId,
      drafterId,
      placedAt: Date.now(),
      wantsDrafter: job.window !== 0,
      startedAt: this.fleet.startedAt(decision.verifierId, drafterId),
      promptTokens: null,
      generatedTokens: 0,
    };
    // Running before it leaves the queue: a crash in between finds it in both (restore drops the
    // queued copy). Its open step is registered at once too, so until it is open nothing else (an
    // attach pass) takes it for a session decoding alone.
    const written = this.table.place(session);
    this.insight.placed(session, waiting.resume, this.insight.predictionOf(decision));
    void this.steps.run(job.sessionId, "open", async () => {
      const recorded = await written.then(
        () => true,
        () => false,
      );
      if (recorded) await this.open(session, waiting.resume);
    });
    await written;
    if (this.line.remove(job.sessionId)) await this.repository.remove(job.sessionId);
  }

  /** Queued before it leaves the table: a crash in between finds it in both, never in neither. */
  private async requeue(session: PlacedSession, resume: boolean): Promise<void> {
    await this.enqueue(waitingFor(session.job, resume, Date.now()));
    await this.table.remove(session.job.sessionId);
  }

  private async enqueue(waiting: Waiting): Promise<void> {
    await this.repository.add(waiting);
    this.line.insert(waiting);
  }

  /** Tells the client why and frees the slots. */
  private async fail(sessionId: string, error: RemoteError): Promise<void> {
    await this.table.remove(sessionId);
    this.log.warn({ sessionId, code: error.code, reason: error.message }, "session failed");
    this.publishError(sessionId, error);
    this.pump();
  }

  private publishError(sessionId: string, error: RemoteError): void {
    this.bus.publish(SessionStream, sessionId, { kind: "error", sessionId, error });
  }
}
