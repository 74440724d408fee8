import {
  DrafterOpen,
  SessionStream,
  WorkerSessions,
  VerifierAttach,
  VerifierDetach,
  VerifierOpen,
  VerifierRelease,
  WorkerClose,
  type CompletionJob,
  type RemoteError,
  type ReplyOf,
  type ModelDescriptor,
  type WorkerProfile,
} from "#contracts";
import type { Logger } from "#logging";
import type { ContractBus } from "#transport";

/** How asking a verifier to let a session go went. */
export type Release = "released" | "not-held" | "unanswered";

/** How opening a session on its verifier (then its drafter) went. */
export type OpenOutcome =
  /** The verifier runs it; `drafterFollows`: the drafter opened too (else it goes on alone). */
  | { kind: "opened"; promptTokens: number; generatedTokens: number; drafterFollows: boolean }
  /** A resumed session had finished before its verifier was lost: the new one only replayed its end. */
  | { kind: "finished" }
  /** The verifier had no free slot after all (a session ending): place it again. */
  | { kind: "busy"; reason: string }
  /** The verifier refused it for good (a prompt too long, a journal gone): the client is told. */
  | { kind: "refused"; error: RemoteError }
  /** No answer in time: the verifier may or may not hold it; it was told to close it. */
  | { kind: "unreachable"; reason: string };

/**
 * The scheduler's requests to workers about one session: open (verifier first, which tokenizes,
 * journals and owns the committed sequence, then the drafter at the committed tokens), attach a
 * drafter, detach, release (for another verifier to resume), close, and which sessions a verifier
 * holds. The services above it are unit-tested with a fake of this.
 */
export interface SessionWorkers {
  open(job: CompletionJob, verifierId: string, drafterId: string | null, resume: boolean): Promise<OpenOutcome>;
  attachDrafter(job: CompletionJob, verifierId: string, drafterId: string): Promise<boolean>;
  detach(verifierId: string, sessionId: string, drafterId: string, reason: string): Promise<void>;
  /** `unanswered`: the verifier may still run it (slow, or cut off); ask again later. */
  release(verifierId: string, sessionId: string, reason: string): Promise<Release>;
  close(workerId: string, sessionId: string, reason: string): Promise<void>;
  /** The sessions a verifier holds; null when it does not answer. */
  held(verifierId: string): Promise<string[] | null>;
}

/**
 * SessionWorkers over NATS. The drafter's committed tokens come from the verifier's reply and are
 * passed on here: the verifier is the only one that tokenizes (the single writer of the sequence),
 * and the drafter opens only once the scheduler knows the verifier took the session, once per
 * open or attach, never per round.
 */
export class NatsSessionWorkers implements SessionWorkers {
  constructor(
    private readonly bus: ContractBus,
    private readonly log: Logger,
    private readonly timeoutMs: number,
    /** A worker's registered profile (the verifier's speeds go to its drafters as a prior). */
    private readonly profileOf: (workerId: string) => WorkerProfile | undefined = () => undefined,
    /** A worker's registered model (the verifier audits its drafter with it). */
    private readonly modelOf: (workerId: string) => ModelDescriptor | undefined = () => undefined,
  ) {}

  async open(job: CompletionJob, verifierId: string, drafterId: string | null, resume: boolean): Promise<OpenOutcome> {
    let verifier: ReplyOf<typeof VerifierOpen>;
    try {
      verifier = await this.openVerifier(job, verifierId, drafterId, resume);
    } catch (err) {
      // It may have taken the session after all. A new request fails (the client is told), so the
      // verifier closes it; a resumed one goes elsewhere, so the verifier lets go of it, journal kept.
      if (resume) await this.release(verifierId, job.sessionId, "resume unanswered");
      else await this.close(verifierId, job.sessionId, "open failed");
      return { kind: "unreachable", reason: (err as Error).message };
    }
    if (!verifier.ok && verifier.error.code === "worker_busy") return { kind: "busy", reason: verifier.error.message };
    if (!verifier.ok) return { kind: "refused", error: verifier.error };
    if (verifier.finished) return { kind: "finished" };
    const opened = {
      kind: "opened" as const,
      promptTokens: verifier.promptTokens.length,
      generatedTokens: verifier.generatedTokens.length,
    };
    if (drafterId === null) return { ...opened, drafterFollows: false };
    const committed = [...verifier.promptTokens, ...verifier.generatedTokens];
    const remaining = job.maxTokens - verifier.generatedTokens.length;
    const drafter = await this.openDrafter(job, verifierId, drafterId, committed, remaining).catch((err: unknown) => ({
      ok: false as const,
      error: { code: "internal" as const, message: String(err) },
    }));
    if (drafter.ok) return { ...opened, drafterFollows: true };
    // The verifier has it: it goes on alone, and takes another drafter when one is free.
    this.log.warn({ sessionId: job.sessionId, drafterId, reason: drafter.error.message }, "the drafter refused");
    await this.detach(verifierId, job.sessionId, drafterId, "drafter refused");
    return { ...opened, drafterFollows: false };
  }

  async held(verifierId: string): Promise<string[] | null> {
    const reply = await this.bus.request(WorkerSessions, verifierId, {}, 2000).catch(() => null);
    return reply?.sessionIds ?? null;
  }

  /** Opens (or, `resume`, takes over from its journal) the session on a verifier. */
  private openVerifier(
    job: CompletionJob,
    verifierId: string,
    drafterId: string | null,
    resume: boolean,
  ): Promise<ReplyOf<typeof VerifierOpen>> {
    // Readers take the session's events only from the verifier named here (docs/security.md).
    this.bus.publish(SessionStream, job.sessionId, { kind: "owner", sessionId: job.sessionId, verifierId });
    return this.bus.request(
      VerifierOpen,
      verifierId,
      {
        sessionId: job.sessionId,
        prompt: job.prompt,
        maxTokens: job.maxTokens,
        sampling: job.sampling,
        drafterId,
        resume,
        drafterModel: drafterId === null ? undefined : this.modelOf(drafterId),
        tokenEvents: job.tokenEvents,
      },
      this.timeoutMs,
    );
  }

  /**
   * A drafter follows the session from its committed tokens, for the tokens still to generate
   * (a resumed or re-attached session has generated some: its drafter's context needs room for
   * the rest only).
   */
  private openDrafter(
    job: CompletionJob,
    verifierId: string,
    drafterId: string,
    committedTokens: number[],
    remainingTokens: number,
  ): Promise<ReplyOf<typeof DrafterOpen>> {
    const verifierProfile = this.profileOf(verifierId)?.verifyMsByWindow;
    return this.bus.request(
      DrafterOpen,
      drafterId,
      {
        sessionId: job.sessionId,
        verifierId,
        committedTokens,
        maxTokens: Math.max(1, remainingTokens),
        sampling: job.sampling,
        window: job.window,
        verifierProfile,
      },
      this.timeoutMs,
    );
  }

  /**
   * A session decoding alone takes a new drafter: the verifier attaches it (and stops decoding
   * alone), then the drafter opens at the committed tokens; if the drafter refuses, the verifier
   * goes on alone. Returns whether the drafter now follows the session.
   */
  async attachDrafter(job: CompletionJob, verifierId: string, drafterId: string): Promise<boolean> {
    const attached = await this.bus.request(
      VerifierAttach,
      verifierId,
      { sessionId: job.sessionId, drafterId, drafterModel: this.modelOf(drafterId) },
      this.timeoutMs,
    );
    if (!attached.ok) {
      this.log.warn(
        { sessionId: job.sessionId, drafterId, reason: attached.error.message },
        "could not attach a drafter",
      );
      return false;
    }
    const opened = await this.openDrafter(
      job,
      verifierId,
      drafterId,
      attached.committedTokens,
      attached.maxTokens,
    ).catch((err: unknown) => ({
      ok: false as const,
      error: { code: "internal" as const, message: String(err) },
    }));
    if (opened.ok) return true;
    this.log.warn(
      { sessionId: job.sessionId, drafterId, reason: opened.error.message },
      "the new drafter refused; the verifier goes on alone",
    );
    await this.detach(verifierId, job.sessionId, drafterId, "drafter refused");
    return false;
  }

  async detach(verifierId: string, sessionId: string, drafterId: string, reason: string): Promise<void> {
    await this.bus
      .request(VerifierDetach, verifierId, { sessionId, drafterId, reason, by: "scheduler", fasterAlone: false }, 2000)
      .catch((err: unknown) => this.log.warn({ sessionId, err: String(err) }, "could not detach the drafter"));
  }

  /** The verifier lets go of the session (journal kept) so that another can resume it. */
  async release(verifierId: string, sessionId: string, reason: string): Promise<Release> {
    const reply = await this.bus.request(VerifierRelease, verifierId, { sessionId, reason }, 5000).catch(() => null);
    if (!reply) return "unanswered";
    return reply.released ? "released" : "not-held";
  }

  async close(workerId: string, sessionId: string, reason: string): Promise<void> {
    await this.bus.request(WorkerClose, workerId, { sessionId, reason }, 2000).catch(() => undefined);
  }
}
