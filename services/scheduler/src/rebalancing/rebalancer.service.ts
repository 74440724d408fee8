import { Inject, Injectable } from "@nestjs/common";
import type { Logger } from "#logging";
import { rebalanceMoves, type LiveSession, type Move, type PairingTuning } from "#pairing";
import { AdmissionService } from "../admission/admission.service.js";
import { FleetViewService } from "../fleet/fleet-view.service.js";
import { MoveLog } from "../insight/move-log.js";
import { PlacementInsight } from "../insight/placement-insight.js";
import type { SessionSteps } from "../sessions/session-steps.js";
import { progressOf, type PlacedSession, type SessionTable } from "../sessions/session-table.js";
import type { SessionWorkers } from "../sessions/session-workers.js";
import { PAIRING_TUNING, SCHEDULER_LOGGER, SESSION_STEPS, SESSION_TABLE, SESSION_WORKERS } from "../tokens.js";

/**
 * Rebalancing: re-pairs running sessions whose pair has become a poor one (a slowed or
 * low-battery drafter, a crowded verifier, a fallen acceptance) when the predicted gain over the
 * rest of the session outweighs the cost of moving (libs/pairing `rebalanceMoves`). A session's
 * progress is what its verifier reported (open reply, round reports), not a guess.
 */
@Injectable()
export class RebalancerService {
  constructor(
    @Inject(SCHEDULER_LOGGER) private readonly log: Logger,
    @Inject(PAIRING_TUNING) private readonly tuning: PairingTuning,
    @Inject(SESSION_TABLE) private readonly table: SessionTable,
    @Inject(SESSION_WORKERS) private readonly workers: SessionWorkers,
    @Inject(SESSION_STEPS) private readonly steps: SessionSteps,
    private readonly admission: AdmissionService,
    private readonly fleet: FleetViewService,
    private readonly insight: PlacementInsight,
    private readonly moveLog: MoveLog,
  ) {}

  /** One look at every running pair; returns the moves it started. */
  rebalance(): Move[] {
    if (!this.fleet.known) return [];
    const { views, context } = this.fleet.pairingInputs(this.table.loads());
    const live: LiveSession[] = [];
    for (const s of this.table.all()) {
      // Alone sessions take a drafter through recovery; one being opened or moved is left be.
      if (s.drafterId === null || s.promptTokens === null || this.steps.busy(s.job.sessionId)) continue;
      live.push({
        sessionId: s.job.sessionId,
        request: { model: s.job.model },
        verifierId: s.verifierId,
        drafterId: s.drafterId,
        committedTokens: s.promptTokens + s.generatedTokens,
        remainingTokens: Math.max(0, s.job.maxTokens - s.generatedTokens),
      });
    }
    const moves = this.insight.timeRebalance(() => rebalanceMoves(live, views, context, this.tuning));
    for (const move of moves) {
      const session = this.table.get(move.sessionId)!;
      this.log.info(
        { ...move, fromVerifier: session.verifierId, fromDrafter: session.drafterId },
        "re-pairing a session",
      );
      const step = move.verifierId === session.verifierId ? this.switchDrafter : this.moveTo;
      void this.steps.run(move.sessionId, "re-pair", () => step.call(this, session, move));
    }
    return moves;
  }

  /** The session's verifier stays; its drafter is replaced. */
  private async switchDrafter(session: PlacedSession, move: Move): Promise<void> {
    const { sessionId } = session.job;
    const old = session.drafterId!;
    await this.workers.close(old, sessionId, "re-paired");
    await this.workers.detach(session.verifierId, sessionId, old, "re-paired");
    this.moveLog.rebalanced(sessionId, { verifierId: session.verifierId, drafterId: old }, move);
    await this.table.setDrafter(sessionId, move.drafterId, this.fleet.startedAt(move.drafterId)[move.drafterId]);
    const attached = await this.workers
      .attachDrafter(session.job, session.verifierId, move.drafterId)
      .catch((err: unknown) => {
        this.log.warn({ sessionId, err: String(err) }, "could not attach a drafter");
        return false;
      });
    // Alone at its verifier for now: the next attach pass gives it a drafter (and a prediction).
    this.insight.repaired(sessionId, attached ? move.to : null, progressOf(session));
    if (!attached) await this.table.setDrafter(sessionId, null);
  }

  /** The session moves to another verifier (and drafter): released, then resumed there from its journal. */
  private async moveTo(session: PlacedSession, move: Move): Promise<void> {
    const { sessionId } = session.job;
    // Released first: a verifier that does not let go keeps the session, and its drafter with it.
    const release = await this.workers.release(session.verifierId, sessionId, "re-paired");
    if (release !== "released") return;
    if (session.drafterId) await this.workers.close(session.drafterId, sessionId, "re-paired");
    this.moveLog.rebalanced(sessionId, session, move);
    // Measured from its open reply on the new verifier.
    this.insight.repaired(sessionId, move.to, null);
    const moved: PlacedSession = {
      ...session,
      verifierId: move.verifierId,
      drafterId: move.drafterId,
      startedAt: this.fleet.startedAt(move.verifierId, move.drafterId),
    };
    await this.table.place(moved);
    await this.admission.open(moved, true);
  }
}
