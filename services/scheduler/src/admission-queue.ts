import { Queue } from "bullmq";
import { completionJobSchema, type CompletionJob } from "#contracts";
import type { Logger } from "#logging";

/** A request waiting for a pair; `resume`: a running session whose verifier died or is being drained. */
export interface Waiting {
  job: CompletionJob;
  resume: boolean;
  /** When it started waiting (the deadline counts from here). */
  since: number;
}

const QUEUE_NAME = "specfleet-admission";

/** Lower `priority` first (vLLM's convention), then resumed sessions, then arrival. */
export function waitingOrder(a: Waiting, b: Waiting): number {
  return (
    a.job.priority - b.job.priority || Number(b.resume) - Number(a.resume) || a.job.submittedAt - b.job.submittedAt
  );
}

/**
 * Requests waiting for a free drafter–verifier pair, durable in a BullMQ queue so that a
 * scheduler restart (or crash) loses none. The scheduler is the queue's only consumer and
 * takes a job out when it places it (a job can start only when a pair is free, which a
 * worker's fetch loop cannot wait for without holding locks for minutes); the order it serves
 * them in is kept in memory, rebuilt from the queue at start.
 */
export class AdmissionQueue {
  private readonly waiting: Waiting[] = [];

  private constructor(
    private readonly queue: Queue,
    private readonly log: Logger,
  ) {}

  /** Connects and loads what waited before a restart. */
  static async open(redisUrl: string, log: Logger): Promise<AdmissionQueue> {
    const queue = new Queue(QUEUE_NAME, { connection: { url: redisUrl, maxRetriesPerRequest: null } });
    const admission = new AdmissionQueue(queue, log);
    for (const stored of await queue.getJobs(["waiting", "prioritized"], 0, -1, true)) {
      const parsed = completionJobSchema.safeParse((stored.data as { job?: unknown } | undefined)?.job);
      if (!parsed.success) {
        log.warn({ jobId: stored.id }, "dropping an unreadable queued request");
        await queue.remove(String(stored.id)).catch(() => undefined);
        continue;
      }
      const data = stored.data as { resume?: unknown; since?: unknown };
      admission.insert({
        job: parsed.data,
        resume: Boolean(data.resume),
        since: typeof data.since === "number" ? data.since : parsed.data.submittedAt,
      });
    }
    if (admission.size > 0) log.info({ waiting: admission.size }, "queued requests restored");
    return admission;
  }

  get size(): number {
    return this.waiting.length;
  }

  /** In serving order. */
  entries(): readonly Waiting[] {
    return this.waiting;
  }

  has(sessionId: string): boolean {
    return this.waiting.some((w) => w.job.sessionId === sessionId);
  }

  /** Enqueues durably: resolves once Redis has it. The session id is the job id, so a retry adds nothing. */
  async add(waiting: Waiting): Promise<void> {
    await this.queue.add("completion", waiting, {
      jobId: waiting.job.sessionId,
      // BullMQ: 0 is "no priority"; 1 is the highest. Shift so every request has one.
      priority: Math.min(2_097_152, Math.max(1, waiting.job.priority + 1000)),
      removeOnComplete: true,
      removeOnFail: true,
    });
    if (!this.has(waiting.job.sessionId)) this.insert(waiting);
  }

  /** Takes a request out (placed, cancelled, expired). */
  async take(sessionId: string): Promise<void> {
    const index = this.waiting.findIndex((w) => w.job.sessionId === sessionId);
    if (index >= 0) this.waiting.splice(index, 1);
    await this.queue
      .remove(sessionId)
      .catch((err: unknown) =>
        this.log.warn({ sessionId, err: String(err) }, "could not remove a request from the queue"),
      );
  }

  async close(): Promise<void> {
    await this.queue.close();
  }

  private insert(waiting: Waiting): void {
    const at = this.waiting.findIndex((w) => waitingOrder(waiting, w) < 0);
    this.waiting.splice(at < 0 ? this.waiting.length : at, 0, waiting);
  }
}
