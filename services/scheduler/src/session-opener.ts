import {
  DrafterOpen,
  VerifierAttach,
  VerifierDetach,
  VerifierOpen,
  VerifierRelease,
  WorkerClose,
  type CompletionJob,
  type ReplyOf,
  type WorkerProfile,
} from "#contracts";
import type { Logger } from "#logging";
import type { ContractBus } from "#transport";

/** The scheduler's requests to workers about one session: open, resume, attach, release, close. */
export class SessionOpener {
  constructor(
    private readonly bus: ContractBus,
    private readonly log: Logger,
    private readonly timeoutMs: number,
    /** A worker's registered profile (the verifier's speeds go to its drafters as a prior). */
    private readonly profileOf: (workerId: string) => WorkerProfile | undefined = () => undefined,
  ) {}

  /** Opens (or, `resume`, takes over from its journal) the session on a verifier. */
  openVerifier(
    job: CompletionJob,
    verifierId: string,
    drafterId: string | null,
    resume: boolean,
  ): Promise<ReplyOf<typeof VerifierOpen>> {
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
      },
      this.timeoutMs,
    );
  }

  /** A drafter follows the session from its committed tokens. */
  openDrafter(
    job: CompletionJob,
    verifierId: string,
    drafterId: string,
    committedTokens: number[],
  ): Promise<ReplyOf<typeof DrafterOpen>> {
    const verifierProfile = this.profileOf(verifierId)?.verifyMs;
    return this.bus.request(
      DrafterOpen,
      drafterId,
      {
        sessionId: job.sessionId,
        verifierId,
        committedTokens,
        maxTokens: job.maxTokens,
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
      { sessionId: job.sessionId, drafterId },
      this.timeoutMs,
    );
    if (!attached.ok) {
      this.log.warn(
        { sessionId: job.sessionId, drafterId, reason: attached.error.message },
        "could not attach a drafter",
      );
      return false;
    }
    const opened = await this.openDrafter(job, verifierId, drafterId, attached.committedTokens).catch(
      (err: unknown) => ({
        ok: false as const,
        error: { code: "internal" as const, message: String(err) },
      }),
    );
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
      .request(VerifierDetach, verifierId, { sessionId, drafterId, reason }, 2000)
      .catch((err: unknown) => this.log.warn({ sessionId, err: String(err) }, "could not detach the drafter"));
  }

  /** The verifier lets go of the session (journal kept) so that another can resume it. */
  async release(verifierId: string, sessionId: string, reason: string): Promise<boolean> {
    const reply = await this.bus.request(VerifierRelease, verifierId, { sessionId, reason }, 5000).catch(() => null);
    return reply?.released ?? false;
  }

  async close(workerId: string, sessionId: string, reason: string): Promise<void> {
    await this.bus.request(WorkerClose, workerId, { sessionId, reason }, 2000).catch(() => undefined);
  }
}
