import type { ModelDescriptor, RemoteError } from "#contracts";
import type { Distribution, SamplingParams } from "#speculation";
import type { AuditMeter } from "./audit-meter.js";
import type { DrawCheck } from "./draw-check.js";
import type { Quarantine } from "./quarantine.js";
import type { AppliedRound, ForgedQ, RecomputeAudit } from "./recompute-audit.js";

/** What the audit needs of a session. */
export interface AuditedSession {
  readonly id: string;
  readonly drafterId: string | null;
  readonly drafterModel: ModelDescriptor | null;
  readonly sampling: SamplingParams;
}

/** Before a sampled round is verified: refused (its drafter lies), or go on, recomputing it afterwards or not. */
export type RoundAdmission = { refusal: RemoteError } | { refusal: null; recompute: boolean };

/**
 * The verifier's audit of its drafters' q (sampled sessions only: greedy needs no trust). Before
 * a round: a quarantined drafter's round is refused, and the draw check runs on every drafted
 * token (a liar caught there never has the round applied). After it: a random fraction of rounds
 * are recomputed with the drafter's model. Either failure quarantines the drafter.
 */
export class DrafterAudit {
  constructor(
    private readonly draws: DrawCheck,
    private readonly recompute: RecomputeAudit,
    private readonly quarantine: Quarantine,
    private readonly meter: AuditMeter,
  ) {}

  admit(session: AuditedSession, draft: readonly number[], q: readonly Distribution[]): RoundAdmission {
    const drafterId = session.drafterId;
    if (drafterId === null || q.length === 0) return { refusal: null, recompute: false };
    if (this.quarantine.has(drafterId)) return { refusal: refusal(drafterId) };
    const failure = this.draws.check(drafterId, draft, q);
    if (failure) {
      this.meter.alarmed(drafterId);
      void this.quarantine.impose(drafterId, failure.reason, {
        check: "draw",
        sessionId: session.id,
        ...failure.evidence,
      });
      return { refusal: refusal(drafterId) };
    }
    return { refusal: null, recompute: this.recompute.draws() };
  }

  /** A round drawn for a recompute was applied: audit it off the hot path. */
  applied(
    session: AuditedSession,
    position: number,
    context: readonly number[],
    draft: readonly number[],
    q: readonly Distribution[],
  ): void {
    if (session.drafterId === null) return;
    const round: AppliedRound = {
      sessionId: session.id,
      drafterId: session.drafterId,
      drafterModel: session.drafterModel,
      position,
      context,
      draft,
      q,
      sampling: session.sampling,
    };
    this.recompute.submit(round);
  }

  /** What the recompute calls on a forged q. */
  forged({ round, index, comparison, sent, recomputed }: ForgedQ): void {
    void this.quarantine.impose(round.drafterId, "the q sent is not its model's", {
      check: "recompute",
      sessionId: round.sessionId,
      position: round.position + index,
      token: round.draft[index]!,
      totalVariation: comparison.totalVariation,
      logRatioAtToken: comparison.logRatioAtToken,
      qSent: sent,
      qRecomputed: recomputed,
      model: round.drafterModel?.name ?? null,
    });
  }
}

function refusal(drafterId: string): RemoteError {
  return { code: "session_lost", message: `drafter ${drafterId} is quarantined: the session goes on without it` };
}
