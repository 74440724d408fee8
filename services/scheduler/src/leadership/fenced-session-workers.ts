import type { CompletionJob } from "#contracts";
import type { OpenOutcome, Release, SessionWorkers } from "../sessions/session-workers.js";

/** What the workers' guard needs of the leadership. */
export interface LeaderCheck {
  ensure(): Promise<void>;
}

/**
 * The scheduler's requests to workers, each sent only while this replica holds the lease: a
 * deposed leader (paused past its lease, cut off from Redis) opens, moves and closes nothing
 * that a newer leader may have decided otherwise. The check costs nothing while the last renewal
 * is recent; a refused one stops the replica before anything is sent.
 */
export class FencedSessionWorkers implements SessionWorkers {
  constructor(
    private readonly inner: SessionWorkers,
    private readonly leader: LeaderCheck,
  ) {}

  async open(job: CompletionJob, verifierId: string, drafterId: string | null, resume: boolean): Promise<OpenOutcome> {
    await this.leader.ensure();
    return this.inner.open(job, verifierId, drafterId, resume);
  }

  async attachDrafter(job: CompletionJob, verifierId: string, drafterId: string): Promise<boolean> {
    await this.leader.ensure();
    return this.inner.attachDrafter(job, verifierId, drafterId);
  }

  async detach(verifierId: string, sessionId: string, drafterId: string, reason: string): Promise<void> {
    await this.leader.ensure();
    return this.inner.detach(verifierId, sessionId, drafterId, reason);
  }

  async release(verifierId: string, sessionId: string, reason: string): Promise<Release> {
    await this.leader.ensure();
    return this.inner.release(verifierId, sessionId, reason);
  }

  async close(workerId: string, sessionId: string, reason: string): Promise<void> {
    await this.leader.ensure();
    return this.inner.close(workerId, sessionId, reason);
  }

  held(verifierId: string): Promise<string[] | null> {
    return this.inner.held(verifierId);
  }
}
