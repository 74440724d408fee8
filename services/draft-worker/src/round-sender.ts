import { distributionToWire, VerifyRound, type ReplyOf, type Sampling } from "#contracts";
import type { DraftedWindow, DraftSequence } from "#llama";
import type { Logger } from "#logging";
import { isGreedy } from "#speculation";
import { RequestTimeoutError, type ContractBus } from "#transport";
import type { DrafterMeter, RoundOutcome } from "./drafter-meter.js";

export type VerifyReply = ReplyOf<typeof VerifyRound>;

/** A round sent to the verifier; `answeredAt` is 0 until its answer (or failure) came. */
export interface SentRound {
  reply: Promise<VerifyReply>;
  sentAt: number;
  answeredAt: number;
}

/** What sending a session's round needs to know of it. */
export interface RoundTarget {
  id: string;
  verifierId: string;
  sampling: Sampling;
  closed: boolean;
}

/** Sends a drafter's rounds to their verifiers: retried when the reply is lost, metered when answered. */
export class RoundSender {
  constructor(
    private readonly bus: ContractBus,
    private readonly meter: DrafterMeter,
    private readonly log: Logger,
    private readonly timeoutMs: number,
    private readonly retries: number,
  ) {}

  /**
   * Sends a round (`ahead`: before the previous round's answer); its answer is metered when it
   * comes, whether the loop still wants it or not.
   */
  send(session: RoundTarget, position: number, draft: DraftedWindow, ahead = false): SentRound {
    this.meter.sent(draft.tokens.length);
    const sentAt = performance.now();
    const round: SentRound = { reply: this.verifyWithRetry(session, position, draft), sentAt, answeredAt: 0 };
    const answered = (outcome: RoundOutcome) => {
      round.answeredAt = performance.now();
      this.meter.answered(session.verifierId, outcome, round.answeredAt - round.sentAt);
      if (ahead) this.meter.answeredAhead(outcome);
    };
    round.reply.then(
      (reply) => answered(reply.status),
      () => answered("failed"),
    );
    return round;
  }

  /** A lost reply is safe to retry: the verifier answers a repeated position as stale. */
  private async verifyWithRetry(session: RoundTarget, position: number, draft: DraftedWindow): Promise<VerifyReply> {
    const q = isGreedy(session.sampling) ? undefined : draft.q.map(distributionToWire);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.bus.request(
          VerifyRound,
          session.verifierId,
          { sessionId: session.id, position, draft: draft.tokens, q },
          this.timeoutMs,
        );
      } catch (err) {
        if (!(err instanceof RequestTimeoutError) || attempt >= this.retries || session.closed) throw err;
        this.log.warn({ sessionId: session.id, position, attempt }, "verify timed out; retrying");
      }
    }
  }
}

/**
 * Commits what the verifier answered to the drafter's sequence. A stale answer to a round sent
 * ahead starts before the drafter's position: what both have committed is checked and skipped.
 */
export async function commitAnswer(
  model: DraftSequence,
  reply: Exclude<VerifyReply, { status: "rejected" }>,
  keepSpeculation: boolean,
): Promise<void> {
  const ledger = model.ledger;
  const skip = ledger.position - reply.position;
  const repeated = skip > 0 ? ledger.committedTokens(reply.position) : [];
  if (skip < 0 || skip > reply.tokens.length || repeated.some((token, i) => token !== reply.tokens[i]))
    throw new Error(
      `the verifier's answer (${reply.tokens.length} tokens at ${reply.position}) does not follow this drafter's sequence (at ${ledger.position})`,
    );
  await model.commit(ledger.position, reply.tokens.slice(skip), keepSpeculation);
}
