import type { PayloadOf, RemoteError, ReplyOf, VerifyRound } from "#contracts";
import type { JournalEntry } from "#journal";
import { verifyWindow } from "#llama";
import type { Logger } from "#logging";
import { admitRound, cutCompletion, type Distribution } from "#speculation";
import type { WorkerModel, WorkerStats } from "#worker";
import type { DrafterAudit } from "./audit/drafter-audit.js";
import { draftDistributions, draftProblem } from "./draft-checks.js";
import { JOURNAL_LOST, type SessionCloser } from "./session-closer.js";
import type { SessionLog } from "./session-log.js";
import type { SessionTable } from "./session-table.js";
import type { VerifierMeter } from "./verifier-meter.js";
import type { VerifierSession } from "./verifier-session.js";
import type { SelfDraftedSession, SelfDrafter } from "./self-drafting.js";
import type { VerifyBatcher } from "./verify-batcher.js";

type VerifyRequest = PayloadOf<typeof VerifyRound>;
type VerifyReply = ReplyOf<typeof VerifyRound>;

/**
 * The target side of the round: verifies a window in one forward pass (batched with other
 * sessions' rounds), commits, journals then publishes the committed tokens (each round's, or
 * batched for a client that waits for the whole answer: token-delivery.ts), and answers stale
 * rounds without applying them twice. A session without a drafter is decoded here alone (γ = 0).
 * Every round runs under its session's lock.
 */
export class RoundRunner {
  constructor(
    private readonly table: SessionTable,
    private readonly stream: SessionLog,
    private readonly closer: SessionCloser,
    private readonly batcher: VerifyBatcher,
    private readonly target: WorkerModel,
    private readonly stats: WorkerStats,
    private readonly log: Logger,
    private readonly verifierId: string,
    private readonly meter: VerifierMeter,
    /** The audit of the drafters' q (sampled rounds); null: none. */
    private readonly audit: DrafterAudit | null = null,
    /** The co-located draft model (SELF_DRAFT_MODEL): sessions without a drafter are drafted here; null: γ = 0. */
    private readonly selfDrafter: SelfDrafter | null = null,
  ) {}

  /**
   * A drafter's round, under its session's lock, answered as soon as it is committed to the
   * session's sequence: the drafter goes on with the next round while this one's tokens are
   * journalled in the session's order (JournalQueue), published only once journalled, and the
   * session's end goes after them. A round whose write then fails was answered `applied` all the
   * same: nothing of it or after it is published, the session ends (or is let go), and the
   * drafter's next round learns so (`session_lost`).
   */
  serve(req: VerifyRequest, from: string | null): Promise<VerifyReply> {
    const queued = performance.now();
    return new Promise<VerifyReply>((resolve, reject) => {
      let answered = false;
      const answer = (reply: VerifyReply) => {
        if (answered) return;
        answered = true;
        resolve(reply);
      };
      this.table
        .run(req.sessionId, () => {
          const entered = performance.now();
          this.meter.phase("lock", entered - queued);
          return this.verify(req, from, entered, answer);
        })
        .then(answer, (err: unknown) => {
          if (!answered) {
            answered = true;
            reject(err);
          } else this.log.error({ sessionId: req.sessionId, err: String(err) }, "a round failed after its answer");
        });
    });
  }

  /**
   * A drafter's round (`from`: who sent it): admitted by its sender and position, checked, then
   * verified. `entered`: when its handling started (performance.now()), to time its phases;
   * `early`: takes the reply once the round is committed, before its journal write.
   */
  async verify(
    req: VerifyRequest,
    from: string | null,
    entered = 0,
    early?: (reply: VerifyReply) => void,
  ): Promise<VerifyReply> {
    const session = this.table.get(req.sessionId);
    if (!session)
      return rejected(req.sessionId, {
        code: "session_lost",
        message: `no session ${req.sessionId} on ${this.verifierId}`,
      });
    if (from !== session.drafterId)
      return rejected(req.sessionId, {
        code: "forbidden",
        message: `session ${req.sessionId} takes rounds from its drafter only, not from '${from}'`,
      });
    session.lastDrafterAt = Date.now();
    const ledger = session.model.ledger;
    const admission = admitRound(ledger, req);
    if (admission.kind !== "apply") {
      // Ahead: a window sent early on a guess that did not hold; nothing was committed after it.
      const tokens = admission.kind === "stale" ? ledger.committedTokens(admission.committedSince) : [];
      return {
        status: "stale",
        sessionId: req.sessionId,
        position: req.position,
        tokens,
        nextPosition: ledger.position,
        finished: session.finished,
      };
    }
    const vocabulary = this.target.loaded.vocabularySize;
    const problem = draftProblem(req.draft, vocabulary);
    if (problem) return rejected(req.sessionId, { code: "bad_request", message: problem });
    const sentQ = draftDistributions(session.sampling, req, vocabulary);
    if (typeof sentQ === "string") return rejected(req.sessionId, { code: "bad_request", message: sentQ });
    if (session.alone)
      return rejected(req.sessionId, { code: "session_lost", message: "the session no longer takes a drafter" });
    // Tokens repeating what was committed since the round's position are not verified again.
    const draft = admission.skip > 0 ? req.draft.slice(admission.skip) : req.draft;
    const q = admission.skip > 0 ? sentQ.slice(admission.skip) : sentQ;
    const audit = this.audit?.admit(session, draft, q) ?? { refusal: null, recompute: false };
    if (audit.refusal) return rejected(req.sessionId, audit.refusal);
    const position = ledger.position;
    const context = audit.recompute ? ledger.committedTokens() : null;
    const reply = await this.round(session, draft, q, entered, early);
    if (context && reply.status === "applied") this.audit?.applied(session, position, context, draft, q);
    return reply;
  }

  /**
   * A session without a drafter, until one is attached or it ends: drafted here with the
   * co-located draft model (fused execution, self-drafting.ts), else decoded target-only (γ = 0).
   */
  async decodeAlone(session: VerifierSession): Promise<void> {
    let drafting: SelfDraftedSession | null = null;
    try {
      while (this.table.holds(session) && session.alone) {
        await this.table.run(session.id, async () => {
          if (!session.alone) return;
          if (!this.selfDrafter) {
            await this.round(session, []);
            return;
          }
          drafting ??= await this.selfDrafter.follow(session);
          // The next batch waits for this draft: the sessions drafted here go in step.
          const arrives = this.batcher.expect();
          let draft;
          try {
            draft = await drafting.draft();
          } finally {
            arrives();
          }
          await drafting.settle(draft, await this.round(session, draft.tokens, draft.q));
        });
      }
    } catch (err) {
      this.log.error({ sessionId: session.id, err: String(err) }, "decoding without a drafter failed");
    } finally {
      await (drafting as SelfDraftedSession | null)?.dispose();
    }
  }

  /** A session that had finished before it was handed over: only its end was missing. */
  async finishIfComplete(session: VerifierSession): Promise<boolean> {
    const last = session.generated.at(-1);
    const length = session.generated.length >= session.maxTokens;
    if (!length && (last === undefined || !session.model.isEndOfGeneration(last))) return false;
    await this.table.run(session.id, () => this.closer.end(session, { finishReason: length ? "length" : "stop" }));
    return true;
  }

  /**
   * One round, under the session's lock: verify the (trimmed) window, commit, journal and publish
   * (now, or with a later round: `session.delivery`), finish. `early` takes the reply of a round
   * that does not end the session as soon as it is committed; `entered` (when the round's
   * handling started, 0: not timed) times its phases.
   */
  private async round(
    session: VerifierSession,
    window: readonly number[],
    q: readonly Distribution[] = [],
    entered = 0,
    early?: (reply: VerifyReply) => void,
  ): Promise<VerifyReply> {
    if (!this.table.holds(session))
      return rejected(session.id, { code: "session_lost", message: "the session has ended" });
    // Two rounds' writes in flight at most: a slow journal slows the session down, never lets it run away.
    if (session.journal.pending > 1) await session.journal.settled();
    if (session.journal.stopped)
      return rejected(session.id, { code: "session_lost", message: "the session's journal lost a round" });
    const position = session.model.position;
    // Accepting more than remaining-1 drafts cannot matter: the round's last token ends it.
    const room = Math.max(0, session.maxTokens - session.generated.length - 1);
    const draft = window.slice(0, room);
    const started = performance.now();
    let verdict;
    let batchTokens = 0;
    let passStarted = started;
    try {
      const tokens = session.model.ledger.uncachedTail().length + draft.length;
      const run = <T>(pass: () => Promise<T>) =>
        this.batcher.submit(session.id, tokens, pass, (size) => {
          batchTokens = size;
          passStarted = performance.now();
        });
      verdict = await verifyWindow(session.model, draft, q.slice(0, room), session.sampling, { run });
      await session.model.commit(position, verdict.tokens);
    } catch (err) {
      // The cache and the ledger may disagree now: end the session rather than go on wrong.
      await this.closer.end(session, {
        finishReason: "error",
        reason: `verification failed: ${(err as Error).message}`,
      });
      throw err;
    }
    const verified = performance.now();
    if (entered > 0) {
      this.meter.phase("wait", passStarted - entered);
      this.meter.phase("verify", verified - passStarted);
    }
    const cut = cutCompletion(verdict.tokens, session.generated.length, session.maxTokens, (t) =>
      session.model.isEndOfGeneration(t),
    );
    session.rounds++;
    session.drafted += draft.length;
    session.accepted += verdict.accepted;
    this.stats.round(draft.length, verdict.accepted, cut.emitted.length);
    this.meter.round(session, draft.length, verdict.accepted, verdict.tokens.length);
    const finishReason = cut.finishReason;
    const final = finishReason !== null;
    const reply: VerifyReply = {
      status: "applied",
      sessionId: session.id,
      position,
      accepted: verdict.accepted,
      tokens: verdict.tokens,
      nextPosition: session.model.position,
      finished: final,
      verifyMs: verified - started,
      batchTokens,
    };
    // The drafter drafts on while this round is journalled; its tokens are published once they are.
    if (!final && early) {
      early(reply);
      // One turn for the transport to send the reply before this round's text and journal work.
      await Promise.resolve();
    }
    if (cut.emitted.length > 0) {
      const { text, textEnds } = session.text.deltaPerToken(session.generated, cut.emitted, final);
      session.delivery.add({ index: session.generated.length, tokens: cut.emitted, text, textEnds });
      session.generated.push(...cut.emitted);
    }
    const due = session.delivery.due(performance.now(), final);
    if (due) this.journal(session, due);
    if (finishReason !== null) {
      // The end goes after every token: the last round's write first.
      await session.journal.settled();
      if (session.journal.stopped)
        return rejected(session.id, { code: "session_lost", message: "the session's journal lost a round" });
      await this.closer.end(session, { finishReason });
    }
    return reply;
  }

  /**
   * Journalled before published, in the session's order, while the next round is verified:
   * whatever the client sees, another verifier can go on from. A write refused (the session moved
   * to another verifier) or failed (the journal stays away) stops the session's later writes, so
   * their tokens are never published; the session is then let go, or ended with an error its
   * client sees at once, under its lock. The drafter's next round learns so (`session_lost`).
   */
  private journal(session: VerifierSession, entry: JournalEntry): void {
    session.journal.enqueue(async () => {
      const writing = performance.now();
      let lost: "moved" | "unavailable" = "unavailable";
      try {
        const ours = await this.stream.write(session.id, entry, session.journalEntries);
        this.meter.journalWrite(performance.now() - writing);
        if (ours) {
          session.journalEntries++;
          session.journalledTokens = entry.index + entry.tokens.length;
          return;
        }
        lost = "moved";
      } catch (err) {
        this.log.error({ sessionId: session.id, err: String(err) }, "could not journal the round; ending the session");
      }
      session.journal.stop();
      this.table
        .run(session.id, () => this.loseJournal(session, lost))
        .catch((err: unknown) =>
          this.log.error({ sessionId: session.id, err: String(err) }, "could not end the session"),
        );
    });
  }

  /** Under the session's lock, after a write that did not land. */
  private async loseJournal(session: VerifierSession, lost: "moved" | "unavailable"): Promise<void> {
    if (!this.table.holds(session)) return;
    if (lost === "moved") return this.closer.letGo(session);
    await this.closer.end(session, { finishReason: "error", reason: JOURNAL_LOST }, { journal: false });
  }
}

function rejected(sessionId: string, error: RemoteError): VerifyReply {
  return { status: "rejected", sessionId, error };
}
