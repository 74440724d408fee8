import { Inject, Injectable } from "@nestjs/common";
import {
  DrafterOpen,
  SessionStream,
  VerifierDetach,
  VerifierOpen,
  WorkerClose,
  type CompletionJob,
  type RemoteError,
  type SubmitReply,
} from "#contracts";
import type { SchedulerConfig } from "#config";
import type { Logger } from "#logging";
import { createPairingPolicy, type PairingDecision, type PairingPolicy } from "#pairing";
import type { ContractBus } from "#transport";
import { FleetViewService } from "./fleet-view.service.js";
import { SessionTable } from "./session-table.js";
import { SCHEDULER_CONFIG, SCHEDULER_LOGGER, WORKER_BUS } from "./tokens.js";

/**
 * Admission and placement: a request is refused when no compatible pair exists, queued while
 * every pair is busy, and otherwise opened on the verifier (which tokenizes and owns the
 * committed sequence) and then on the drafter. The scheduler stays out of the rounds.
 */
@Injectable()
export class DispatcherService {
  private readonly policy: PairingPolicy;
  private readonly queue: CompletionJob[] = [];
  private readonly table = new SessionTable();

  constructor(
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
    @Inject(SCHEDULER_LOGGER) private readonly log: Logger,
    @Inject(WORKER_BUS) private readonly bus: ContractBus,
    private readonly fleet: FleetViewService,
  ) {
    this.policy = createPairingPolicy(config.PAIRING_POLICY);
  }

  submit(job: CompletionJob): SubmitReply {
    if (this.table.has(job.sessionId) || this.queue.some((q) => q.sessionId === job.sessionId)) {
      return { ok: true, sessionId: job.sessionId, queued: false };
    }
    const decision = this.decide(job);
    if (decision.kind === "none") return { ok: false, error: { code: decision.code, message: decision.reason } };
    this.queue.push(job);
    this.log.info({ sessionId: job.sessionId, model: job.model, decision: decision.kind }, "request admitted");
    this.pump();
    return { ok: true, sessionId: job.sessionId, queued: this.queue.includes(job) };
  }

  sessionEnded(sessionId: string): void {
    if (this.table.remove(sessionId)) this.pump();
  }

  /**
   * After a fleet change: a session whose drafter was lost goes on at its verifier alone; one
   * whose verifier was lost fails (re-opening it elsewhere comes with failover). Then the queue
   * moves.
   */
  fleetChanged(): void {
    for (const worker of this.fleet.workers()) {
      if (worker.state !== "lost") continue;
      for (const session of this.table.onWorker(worker.workerId)) {
        const { sessionId } = session.job;
        if (session.verifierId === worker.workerId) {
          if (session.drafterId) void this.closeOn(session.drafterId, sessionId, "verifier lost");
          this.fail(sessionId, { code: "session_lost", message: `verifier ${worker.workerId} was lost` });
        } else {
          this.table.dropDrafter(sessionId);
          this.bus
            .request(VerifierDetach, session.verifierId, { sessionId, drafterId: worker.workerId, reason: "drafter lost" }, 2000)
            .catch((err: unknown) => this.log.warn({ sessionId, err: String(err) }, "could not detach the lost drafter"));
        }
      }
    }
    this.pump();
  }

  /** The client is gone: drop the request if it waits, stop its session if it runs. */
  cancel(sessionId: string): void {
    const queued = this.queue.findIndex((job) => job.sessionId === sessionId);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.log.info({ sessionId }, "queued request cancelled");
      return;
    }
    const session = this.table.get(sessionId);
    if (session) void this.closeOn(session.verifierId, sessionId, "client gone");
  }

  /** Places every queued request that can be placed now, in arrival order. */
  private pump(): void {
    for (const job of [...this.queue]) {
      const decision = this.decide(job);
      if (decision.kind === "wait") continue;
      this.queue.splice(this.queue.indexOf(job), 1);
      if (decision.kind === "none") {
        this.publishError(job.sessionId, { code: decision.code, message: decision.reason });
        continue;
      }
      const drafterId = decision.kind === "pair" ? decision.drafterId : null;
      if (decision.kind === "alone") this.log.warn({ sessionId: job.sessionId, verifierId: decision.verifierId, reason: decision.reason }, "target-only session");
      this.table.place({ job, verifierId: decision.verifierId, drafterId, placedAt: Date.now() });
      void this.open(job, decision.verifierId, drafterId);
    }
  }

  private decide(job: CompletionJob): PairingDecision {
    const { views, context } = this.fleet.pairingInputs((id) => this.table.loadOf(id));
    return this.policy(views, { model: job.model }, context);
  }

  private async open(job: CompletionJob, verifierId: string, drafterId: string | null): Promise<void> {
    const timeout = this.config.SCHEDULER_OPEN_TIMEOUT_MS;
    try {
      const verifier = await this.bus.request(
        VerifierOpen,
        verifierId,
        { sessionId: job.sessionId, prompt: job.prompt, maxTokens: job.maxTokens, sampling: job.sampling, drafterId },
        timeout,
      );
      if (!verifier.ok && verifier.error.code === "worker_busy") return this.requeue(job, verifier.error.message);
      if (!verifier.ok) return this.fail(job.sessionId, verifier.error);
      if (drafterId === null) return;
      const drafter = await this.bus.request(
        DrafterOpen,
        drafterId,
        {
          sessionId: job.sessionId,
          verifierId,
          committedTokens: verifier.promptTokens,
          maxTokens: job.maxTokens,
          sampling: job.sampling,
          window: job.window,
        },
        timeout,
      );
      if (!drafter.ok) {
        await this.closeOn(verifierId, job.sessionId, "drafter refused the session");
        return this.fail(job.sessionId, drafter.error);
      }
      this.log.info({ sessionId: job.sessionId, verifierId, drafterId, promptTokens: verifier.promptTokens.length }, "session opened");
    } catch (err) {
      await this.closeOn(verifierId, job.sessionId, "open failed");
      this.fail(job.sessionId, { code: "internal", message: `could not open the session: ${(err as Error).message}` });
    }
  }

  /** The verifier was busier than the table said (a session ending): retry at the next event. */
  private requeue(job: CompletionJob, reason: string): void {
    if (!this.table.remove(job.sessionId)) return;
    this.log.info({ sessionId: job.sessionId, reason }, "requeued");
    this.queue.unshift(job);
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

  private async closeOn(workerId: string, sessionId: string, reason: string): Promise<void> {
    await this.bus.request(WorkerClose, workerId, { sessionId, reason }, 2000).catch(() => undefined);
  }
}
