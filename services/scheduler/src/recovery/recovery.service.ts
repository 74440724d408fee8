import { Inject, Injectable } from "@nestjs/common";
import type { DrafterLeft, FleetWorker } from "#contracts";
import type { Logger } from "#logging";
import type { PairingPolicy } from "#pairing";
import { attachDrafters } from "#placement";
import { AdmissionService } from "../admission/admission.service.js";
import { FleetViewService } from "../fleet/fleet-view.service.js";
import { MoveLog } from "../insight/move-log.js";
import { PlacementInsight } from "../insight/placement-insight.js";
import type { SessionSteps } from "../sessions/session-steps.js";
import { progressOf, type PlacedSession, type SessionTable } from "../sessions/session-table.js";
import type { SessionWorkers } from "../sessions/session-workers.js";
import { PAIRING_POLICY, SCHEDULER_LOGGER, SESSION_STEPS, SESSION_TABLE, SESSION_WORKERS } from "../tokens.js";

/** What became of a session's worker since the session was placed on it. */
type WorkerFate = "here" | "gone" | "draining";

/**
 * Recovery: sessions on a lost verifier (or one that restarted, so no longer holds them) are
 * resumed on another from their journal; a draining verifier lets its sessions go first. A
 * session whose drafter is lost or draining goes on alone at its verifier; sessions decoding
 * alone take a drafter when one is free (libs/placement `attachDrafters`). At start, sessions the
 * table says run on a verifier that no longer holds them are resumed (the verifier replays one
 * that had ended, and opens one that never reached it).
 */
@Injectable()
export class RecoveryService {
  constructor(
    @Inject(SCHEDULER_LOGGER) private readonly log: Logger,
    @Inject(PAIRING_POLICY) private readonly policy: PairingPolicy,
    @Inject(SESSION_TABLE) private readonly table: SessionTable,
    @Inject(SESSION_WORKERS) private readonly workers: SessionWorkers,
    @Inject(SESSION_STEPS) private readonly steps: SessionSteps,
    private readonly admission: AdmissionService,
    private readonly fleet: FleetViewService,
    private readonly insight: PlacementInsight,
    private readonly moves: MoveLog,
  ) {}

  /** After a restart: asks each verifier which sessions it holds. */
  async reconcile(): Promise<void> {
    const verifiers = new Set(this.table.all().map((s) => s.verifierId));
    for (const verifierId of verifiers) {
      const held = await this.workers.held(verifierId);
      if (!held) continue; // not answering: fleet events will tell whether it is lost
      const holds = new Set(held);
      for (const session of this.table.all()) {
        if (session.verifierId !== verifierId || holds.has(session.job.sessionId)) continue;
        this.log.info({ sessionId: session.job.sessionId, verifierId }, "not held by its verifier; resuming it");
        await this.steps.run(session.job.sessionId, "reconcile", async () => {
          this.moves.verifierLeft(session.job.sessionId, session, "not held");
          await this.admission.resumeElsewhere(session);
        });
      }
    }
  }

  /** Acts on a new fleet snapshot. */
  fleetChanged(): void {
    const workers = new Map(this.fleet.workers().map((w) => [w.workerId, w]));
    for (const session of this.table.all()) {
      const { sessionId } = session.job;
      if (this.steps.busy(sessionId)) continue;
      const verifier = fate(session, session.verifierId, workers);
      const drafter = fate(session, session.drafterId, workers);
      if (verifier !== "here") {
        void this.steps.run(sessionId, `verifier ${verifier}`, () => this.moveVerifier(session, verifier));
      } else if (drafter !== "here") {
        void this.steps.run(sessionId, `drafter ${drafter}`, () => this.dropDrafter(session, drafter));
      }
    }
    this.attachDrafters();
  }

  /**
   * A drafter stopped following a session on its own (handed it back, stopped, fell silent): the
   * verifier goes on alone; its slot is free, and unless the drafter found the verifier faster
   * alone, the session may take another.
   */
  drafterLeft(left: DrafterLeft): void {
    void this.steps.run(left.sessionId, "drafter left", async () => {
      const session = this.table.get(left.sessionId);
      if (!session || session.verifierId !== left.verifierId || session.drafterId !== left.drafterId) return;
      this.log.info({ ...left }, "the drafter left the session; it goes on alone");
      this.moves.drafterLeft(left);
      await this.table.setDrafter(left.sessionId, null);
      this.predictInPlace(left.sessionId);
      if (left.fasterAlone) await this.table.keepAlone(left.sessionId);
      setImmediate(() => this.attachDrafters());
    });
  }

  /** Sessions decoding alone that want a drafter take one if the policy gives them one. */
  attachDrafters(): void {
    const alone = this.table
      .all()
      .filter((s) => s.drafterId === null && s.wantsDrafter && !this.steps.busy(s.job.sessionId))
      .sort((a, b) => a.placedAt - b.placedAt)
      .map((session) => ({
        sessionId: session.job.sessionId,
        model: session.job.model,
        verifierId: session.verifierId,
        session,
      }));
    if (alone.length === 0) return;
    const { views, context } = this.fleet.pairingInputs(this.table.loads());
    const predicting = this.insight.predictingPairs(this.policy);
    const attachments = attachDrafters(alone, views, predicting.policy, context);
    for (const [n, { session, drafterId }] of attachments.entries()) {
      const predicted = predicting.rates[n] ?? null;
      // The drafter's slot is the session's from now on (the table's memory changes before
      // `setDrafter` first awaits): a queue pass right after this one does not give it away again.
      const recorded = this.table.setDrafter(session.sessionId, drafterId, this.fleet.startedAt(drafterId)[drafterId]);
      void this.steps.run(session.sessionId, "attach a drafter", async () => {
        await recorded;
        await this.admission.traces.attaching(session.sessionId, drafterId, () =>
          this.attach(session.session, drafterId, predicted),
        );
      });
    }
  }

  /**
   * The session leaves its verifier: a draining one lets go first (a lost one cannot), its drafter
   * stops following, and it waits at the head of its priority to be resumed from its journal.
   */
  private async moveVerifier(session: PlacedSession, fate: Exclude<WorkerFate, "here">): Promise<void> {
    const { sessionId } = session.job;
    const reason = `verifier ${fate === "gone" ? "lost" : "draining"}`;
    this.log.warn({ sessionId, verifierId: session.verifierId, reason }, "moving the session to another verifier");
    if (fate === "draining") {
      const release = await this.workers.release(session.verifierId, sessionId, reason);
      // Unanswered: it may still run there; it stays put, and the next fleet event asks again.
      if (release === "unanswered") return;
      if (session.drafterId) await this.workers.close(session.drafterId, sessionId, reason);
      // It had already ended there: nothing to move (its end reaches the table as session-ended).
      if (release === "not-held") return;
    } else if (session.drafterId) {
      await this.workers.close(session.drafterId, sessionId, reason);
    }
    this.moves.verifierLeft(sessionId, session, fate === "gone" ? "lost" : "draining");
    await this.admission.resumeElsewhere(session);
  }

  /** Its verifier goes on alone; the next attach pass gives it another drafter. */
  private async dropDrafter(session: PlacedSession, fate: Exclude<WorkerFate, "here">): Promise<void> {
    const { sessionId } = session.job;
    const drafterId = session.drafterId!;
    const reason = `drafter ${fate === "gone" ? "lost" : "draining"}`;
    this.log.warn({ sessionId, drafterId, reason }, "the session goes on alone for now");
    if (fate === "draining") await this.workers.close(drafterId, sessionId, reason);
    await this.workers.detach(session.verifierId, sessionId, drafterId, reason);
    this.moves.drafterDropped(sessionId, session, fate === "gone" ? "lost" : "draining");
    await this.table.setDrafter(sessionId, null);
    this.predictInPlace(sessionId);
    // Once this step is over (the session no longer busy), the drafter it left may suit another.
    setImmediate(() => this.attachDrafters());
  }

  /** The drafter, already recorded as the session's, opens at the verifier's committed tokens. */
  private async attach(session: PlacedSession, drafterId: string, predicted: number | null): Promise<void> {
    const { sessionId } = session.job;
    if (this.table.get(sessionId)?.drafterId !== drafterId) return; // it ended meanwhile
    const attached = await this.workers
      .attachDrafter(session.job, session.verifierId, drafterId)
      .catch((err: unknown) => {
        this.log.warn({ sessionId, err: String(err) }, "could not attach a drafter");
        return false;
      });
    if (!attached) return this.table.setDrafter(sessionId, null);
    this.log.info({ sessionId, verifierId: session.verifierId, drafterId }, "drafter attached");
    this.moves.drafterAttached(sessionId, session.verifierId, drafterId, predicted);
    this.insight.repaired(sessionId, predicted, progressOf(session));
  }

  /** A running session's pair changed where it stands (a drafter gone): the rate predicted there from now on. */
  private predictInPlace(sessionId: string): void {
    const session = this.table.get(sessionId);
    if (!session) return;
    const { views, context } = this.fleet.pairingInputs(this.table.loads());
    this.insight.repaired(sessionId, this.insight.predictInPlace(session, views, context), progressOf(session));
  }
}

/** Lost, or restarted since the session was placed on it (then it no longer holds the session). */
function fate(session: PlacedSession, workerId: string | null, workers: ReadonlyMap<string, FleetWorker>): WorkerFate {
  if (workerId === null) return "here";
  const worker = workers.get(workerId);
  const placedOn = session.startedAt[workerId];
  if (!worker || worker.state === "lost" || (placedOn !== undefined && worker.startedAt !== placedOn)) return "gone";
  return worker.state === "draining" ? "draining" : "here";
}
