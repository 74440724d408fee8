import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { z } from "zod";
import { completionJobSchema } from "#contracts";
import type { Logger } from "#logging";
import { waitingFor, type Waiting } from "./waiting.js";

/**
 * Where waiting requests are kept durably (a BullMQ queue in the scheduler, a fake in unit
 * tests): a scheduler restart (or crash) loses none.
 */
export interface AdmissionRepository {
  /** Resolves once the request is stored; the session id is its key, so a retry adds nothing. */
  add(waiting: Waiting): Promise<void>;
  remove(sessionId: string): Promise<void>;
  load(): Promise<Waiting[]>;
}

const QUEUE_NAME = "specfleet-admission";
const storedSchema = z.object({ job: completionJobSchema, resume: z.boolean().default(false), since: z.number() });

/**
 * The waiting requests in a BullMQ queue. The scheduler is its only consumer and takes a job out
 * when it places it (a job can start only when a pair is free, which a worker's fetch loop cannot
 * wait for without holding locks for minutes); the serving order is kept in memory
 * (`WaitingLine`), rebuilt from here at start.
 */
export class BullAdmissionRepository implements AdmissionRepository {
  private readonly queue: Queue;

  constructor(
    connection: Redis,
    private readonly log: Logger,
  ) {
    this.queue = new Queue(QUEUE_NAME, { connection });
  }

  async add(waiting: Waiting): Promise<void> {
    await this.queue.add(
      "completion",
      { job: waiting.job, resume: waiting.resume, since: waiting.since },
      {
        jobId: waiting.job.sessionId,
        // BullMQ: 0 is "no priority"; 1 is the highest. Shift so every request has one.
        priority: Math.min(2_097_152, Math.max(1, waiting.job.priority + 1000)),
        removeOnComplete: true,
        removeOnFail: true,
      },
    );
  }

  async remove(sessionId: string): Promise<void> {
    await this.queue.remove(sessionId);
  }

  async load(): Promise<Waiting[]> {
    const restored: Waiting[] = [];
    for (const stored of await this.queue.getJobs(["waiting", "prioritized"], 0, -1, true)) {
      const parsed = storedSchema.safeParse(stored.data);
      if (!parsed.success) {
        this.log.error({ jobId: stored.id }, "dropping an unreadable queued request");
        await this.queue.remove(String(stored.id)).catch(() => undefined);
        continue;
      }
      restored.push(waitingFor(parsed.data.job, parsed.data.resume, parsed.data.since));
    }
    return restored;
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
