import type { DrafterLeft, MoveKind, SchedulerMove } from "#contracts";
import type { SchedulerMetrics } from "#metrics";
import type { Move } from "#pairing";

type Pair = { verifierId: string; drafterId: string | null };

/** Rates in words: "41.3 tokens/s". */
const perSecond = (rate: number) => `${rate.toFixed(1)} tokens/s`;

/**
 * The scheduler's moves, told to operators (`SchedulerMoves`, one event per move, with its kind
 * and its reason in words) and counted (`specfleet:scheduler_moves_total{kind}`). Publishing
 * never throws: an observer that misses a move only sees a gap.
 */
export class MoveLog {
  constructor(
    private readonly publish: (move: SchedulerMove) => void,
    private readonly metrics: Pick<SchedulerMetrics, "moves">,
  ) {}

  /** Re-paired for a predicted gain (libs/pairing `rebalanceMoves`). */
  rebalanced(sessionId: string, from: Pair, move: Move): void {
    const verb =
      move.verifierId === from.verifierId
        ? `drafter ${move.drafterId} replaces ${from.drafterId}`
        : `moved to ${move.verifierId} + ${move.drafterId}`;
    this.tell(
      "rebalance",
      sessionId,
      from,
      { verifierId: move.verifierId, drafterId: move.drafterId },
      {
        reason: `${verb}: predicted ${perSecond(move.from)} → ${perSecond(move.to)}, saving ${(move.savedMs / 1000).toFixed(1)} s over its remaining tokens net of the move`,
        predictedGain: { fromTokensPerSecond: move.from, toTokensPerSecond: move.to, savedMs: move.savedMs },
      },
    );
  }

  /** Its verifier is lost, restarted, draining or no longer holds it: it resumes elsewhere from its journal. */
  verifierLeft(sessionId: string, from: Pair, why: "lost" | "draining" | "not held"): void {
    const reason =
      why === "draining"
        ? `verifier ${from.verifierId} is draining: it let the session go, which resumes on another verifier from its journal`
        : why === "lost"
          ? `verifier ${from.verifierId} was lost (or restarted): the session resumes on another verifier from its journal`
          : `verifier ${from.verifierId} no longer holds the session (it restarted): resumed on another verifier from its journal`;
    this.tell(why === "draining" ? "drain" : "verifier-failover", sessionId, from, null, { reason });
  }

  /** Its drafter is lost or draining: the verifier goes on alone until another drafter is free. */
  drafterDropped(sessionId: string, from: Pair, why: "lost" | "draining"): void {
    const reason = `drafter ${from.drafterId} ${why === "lost" ? "was lost" : "is draining"}: verifier ${from.verifierId} goes on alone until another drafter is free`;
    this.tell(
      why === "lost" ? "drafter-lost" : "drain",
      sessionId,
      from,
      { verifierId: from.verifierId, drafterId: null },
      { reason },
    );
  }

  /** The drafter left on its own: handed the session back (the verifier is faster alone), or stopped. */
  drafterLeft(left: DrafterLeft): void {
    const from = { verifierId: left.verifierId, drafterId: left.drafterId };
    const to = { verifierId: left.verifierId, drafterId: null };
    if (left.fasterAlone) {
      const reason = `drafter ${left.drafterId} handed the session back: verifier ${left.verifierId} is faster alone (${left.reason})`;
      this.tell("hand-back", left.sessionId, from, to, { reason });
    } else {
      const reason = `drafter ${left.drafterId} stopped following the session (${left.reason}): its verifier goes on alone until another drafter is free`;
      this.tell("drafter-lost", left.sessionId, from, to, { reason });
    }
  }

  /** A session decoding alone took a free drafter. */
  drafterAttached(sessionId: string, verifierId: string, drafterId: string, predicted: number | null): void {
    const expected = predicted === null ? "" : ` (predicted ${perSecond(predicted)})`;
    this.tell(
      "drafter-attached",
      sessionId,
      { verifierId, drafterId: null },
      { verifierId, drafterId },
      {
        reason: `drafter ${drafterId} came free and the policy paired it with the session decoding alone at ${verifierId}${expected}`,
      },
    );
  }

  /** It went back to the queue (its verifier busy or unreachable when it was opened there). */
  requeued(sessionId: string, from: Pair, why: string): void {
    this.tell("requeue", sessionId, from, null, {
      reason: `verifier ${from.verifierId} ${why}: back to the head of the queue, to be placed again`,
    });
  }

  private tell(
    kind: MoveKind,
    sessionId: string,
    from: Pair | null,
    to: Pair | null,
    { reason, predictedGain = null }: Pick<SchedulerMove, "reason"> & Partial<Pick<SchedulerMove, "predictedGain">>,
  ): void {
    this.metrics.moves.inc({ kind });
    try {
      // Only the ids: callers may hand a whole placed session (its prompt stays here).
      this.publish({
        at: Date.now(),
        kind,
        sessionId,
        from: pairOf(from),
        to: pairOf(to),
        predictedGain,
        reason: reason.slice(0, 500),
      });
    } catch {
      // Not connected right now: operators see a gap, the counter still counts it.
    }
  }
}

function pairOf(pair: Pair | null): Pair | null {
  return pair && { verifierId: pair.verifierId, drafterId: pair.drafterId };
}
