import { Queue, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { JobRunQueue, SchedulerCancel, SchedulerStatusRequest, type JobProgress } from "#contracts";
import type { GatewayConfig } from "#config";
import type { Logger } from "#logging";
import type { ContractBus } from "#transport";
import { FleetShare } from "./fleet-share.js";
import { FINISHED, type JobState, type RequestResult } from "./job.js";
import { JobRun } from "./job-run.js";
import type { JobStore } from "./job-store.js";
import type { RequestExecutor } from "./request-executor.js";
import type { WebhookSender } from "./webhooks.js";
import { jobView } from "./job-view.js";

/** How often the fleet's size (and so the jobs' share of it) is asked of the scheduler. */
const CAPACITY_REFRESH_MS = 5000;

export interface RunnerDeps {
  config: GatewayConfig;
  log: Logger;
  bus: ContractBus;
  store: JobStore;
  /** BullMQ's connection (its workers duplicate it for blocking reads). */
  connection: Redis;
  executor: RequestExecutor;
  webhooks: WebhookSender;
  /** A request's result was recorded once: its usage is accounted to the job's tenant. */
  recorded: (job: JobState, result: RequestResult) => void;
}

/**
 * Runs jobs: one BullMQ job per SpecFleet job, taken by any gateway's worker; the job's requests
 * run within the fleet's share for jobs (`FleetShare`), fairly between tenants. A gateway that
 * dies mid-job leaves its BullMQ job stalled; another worker (or it, restarted) takes it over and
 * runs the requests still without a result.
 */
export class JobRunner {
  private readonly queue: Queue;
  private worker: Worker | null = null;
  private readonly share: FleetShare;
  private cap = 1;
  private capacityTimer: NodeJS.Timeout | null = null;
  private readonly shutdown = new AbortController();
  /** The runs under way here, and the final progress of those that ended since `takeProgress()` was last called. */
  private readonly runs = new Map<string, JobRun>();
  private ended: JobProgress[] = [];

  constructor(private readonly deps: RunnerDeps) {
    this.queue = new Queue(JobRunQueue.queue, { connection: deps.connection });
    this.share = new FleetShare(deps.connection, () => this.cap, { leaseTtlMs: 15_000, pollMs: 200 });
  }

  async start(): Promise<void> {
    await this.refreshCapacity();
    this.capacityTimer = setInterval(() => void this.refreshCapacity(), CAPACITY_REFRESH_MS);
    this.worker = new Worker(JobRunQueue.queue, (job) => this.process(job), {
      connection: this.deps.connection,
      concurrency: this.deps.config.JOBS_CONCURRENT,
      // A job runs for minutes: its lock is renewed while its gateway lives; a dead gateway's
      // job is taken over after the lock lapses, however often that happens.
      lockDuration: 20_000,
      stalledInterval: 10_000,
      maxStalledCount: 1_000_000,
    });
    this.worker.on("error", (err) => this.deps.log.warn({ err: err.message }, "job worker error"));
  }

  /** Queues a stored job for running. Idempotent: the BullMQ job's id is the job's. */
  async enqueue(job: JobState): Promise<void> {
    await this.queue.add(
      JobRunQueue.name,
      { jobId: job.record.id },
      {
        jobId: job.record.id,
        priority: Math.min(2_097_152, Math.max(1, job.record.priority + 1001)),
        // An interrupted run (shutdown) is tried again; a finished one is kept nowhere.
        attempts: 1_000_000,
        backoff: { type: "fixed", delay: 1000 },
        removeOnComplete: true,
        removeOnFail: true,
      },
    );
  }

  /** Takes a job that has not started out of the queue (after its cancellation). */
  async dequeue(jobId: string): Promise<void> {
    await this.queue.remove(jobId).catch(() => undefined);
  }

  private async process(bullJob: Job): Promise<void> {
    const parsed = JobRunQueue.schema.safeParse(bullJob.data);
    if (!parsed.success) {
      this.deps.log.error({ bullJobId: bullJob.id }, "dropping an unreadable job run");
      return;
    }
    const job = await this.deps.store.get(parsed.data.jobId);
    if (!job || FINISHED.has(job.status)) return;
    const { store, executor, bus, log, config } = this.deps;
    const run = new JobRun(
      job,
      {
        store,
        share: this.share,
        executor,
        stopSession: (sessionId) => bus.publish(SchedulerCancel, "", { sessionId }),
        recorded: this.deps.recorded,
        log,
        settings: {
          priorityOffset: config.JOBS_PRIORITY_OFFSET,
          attempts: config.JOBS_REQUEST_ATTEMPTS,
          cancelPollMs: 500,
        },
      },
      this.shutdown.signal,
    );
    log.info({ jobId: job.record.id, total: job.record.total, done: job.counts.done }, "job run started");
    this.runs.set(run.id, run);
    const outcome = await run.run().finally(() => {
      this.runs.delete(run.id);
      this.ended.push(run.progress());
    });
    if (outcome === "interrupted") throw new Error("interrupted by a shutdown; run again");
    await this.finish(job.record.id, outcome === "cancelled");
  }

  /** The progress of the jobs running here, then of those that ended since the last call (each once). */
  takeProgress(): JobProgress[] {
    const ended = this.ended;
    this.ended = [];
    return [...[...this.runs.values()].map((run) => run.progress()), ...ended];
  }

  /** Ends a job whose requests all have a result, or that was cancelled; tells its webhook. Safe to repeat. */
  async finish(jobId: string, cancelled: boolean): Promise<void> {
    const { store, config, log } = this.deps;
    const job = await store.get(jobId);
    if (!job || FINISHED.has(job.status)) return;
    const now = Date.now();
    let status: "succeeded" | "failed" | "cancelled";
    if (cancelled) status = "cancelled";
    else if (job.counts.done < job.record.total) return;
    else status = job.counts.succeeded > 0 ? "succeeded" : "failed";
    if (!(await store.transition(jobId, ["queued", "running"], status, now))) return;
    await store.expireIn(jobId, config.JOBS_RETENTION_HOURS * 3_600_000, now);
    log.info({ jobId, status, ...job.counts }, "job finished");
    const finished = await store.get(jobId);
    if (finished?.record.webhookUrl)
      await this.deps.webhooks.enqueue({
        jobId,
        tenant: finished.record.tenant,
        url: finished.record.webhookUrl,
        body: JSON.stringify({ type: `job.${status}`, data: jobView(finished, null) }),
      });
  }

  private async refreshCapacity(): Promise<void> {
    try {
      const status = await this.deps.bus.request(SchedulerStatusRequest, "", {}, 2000);
      const sessions = status.models.reduce((sum, m) => sum + m.sessions, 0);
      const cap = Math.max(1, Math.floor(sessions * this.deps.config.JOBS_FLEET_SHARE));
      if (cap !== this.cap) this.deps.log.info({ slots: cap, fleetSessions: sessions }, "jobs' share of the fleet");
      this.cap = cap;
    } catch {
      // The scheduler is away: keep the last share (requests wait for it anyway).
    }
  }

  async close(): Promise<void> {
    this.shutdown.abort();
    if (this.capacityTimer) clearInterval(this.capacityTimer);
    await this.worker?.close();
    await this.queue.close();
  }
}
