import { rebalanceMoves, type LiveSession } from "#pairing";
import { TARGET_MODEL } from "./fleet.js";
import type { SimCell } from "./world.js";
import { Kind, type Rebalancing, type Session, type World } from "./world.js";

/**
 * The scheduler's rebalancer, every `policies.rebalanceMs` as SCHEDULER_REBALANCE_MS: the
 * production `rebalanceMoves` over each cell's running pairs and views (their true progress, which the real
 * scheduler learns from the verifiers' reports); a chosen move takes its slots now and happens
 * at the session's next round's end, the new drafter (and verifier) prefilling the committed
 * tokens.
 */
export class Rebalancer implements Rebalancing {
  constructor(private readonly world: World) {}

  rebalance(): void {
    const { world } = this;
    if (world.metrics.ended >= world.total || world.idle) return;
    for (const cell of world.cells) if (cell.live.size > 0) this.rebalanceCell(cell);
    world.schedule({ t: world.now + world.config.policies.rebalanceMs, seq: 0, kind: Kind.Rebalance });
  }

  private rebalanceCell(cell: SimCell): void {
    const { world } = this;
    const sessions: LiveSession[] = [];
    for (const [sessionId, s] of cell.live) {
      if (!s.drafter || s.move || s.attach) continue;
      const committedTokens = s.request.promptTokens + s.generated;
      sessions.push({
        sessionId,
        request: { model: TARGET_MODEL },
        verifierId: s.verifier.id,
        drafterId: s.drafter.id,
        committedTokens,
        remainingTokens: s.request.outputTokens - s.generated,
      });
    }
    for (const move of rebalanceMoves(sessions, cell.views, cell.placement.context, world.config.policies.tuning)) {
      const session = cell.live.get(move.sessionId)!;
      const verifier = world.verifierById(move.verifierId);
      const drafter = world.drafterById(move.drafterId);
      if (verifier !== session.verifier) verifier.view.activeSessions++;
      drafter.view.activeSessions++;
      session.move = { verifier, drafter };
    }
  }

  carryOut(session: Session): void {
    const { world } = this;
    const { verifier, drafter } = session.move!;
    session.move = null;
    world.metrics.moved(verifier !== session.verifier);
    session.drafter!.view.activeSessions--;
    session.drafter = null;
    const committed = session.request.promptTokens + session.generated;
    if (verifier !== session.verifier) {
      // Released and resumed from the journal: the new verifier evaluates the committed tokens with its first round.
      session.verifier.view.activeSessions--;
      session.verifier = verifier;
      verifier.sessionsServed++;
      session.unprefilled = committed;
    }
    world.drafting.attach(session, drafter, committed);
    world.attachDrafters(session.verifier.cell);
  }
}
