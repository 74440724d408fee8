import type { JobProgress } from "#contracts";
import type { Logger } from "#logging";
import type { FleetShare } from "./fleet-share.js";
import { sleep } from "./fleet-share.js";
import { ANONYMOUS, type JobRequest, type JobState, type RequestResult } from "./job.js";
import type { JobStore } from "./job-store.js";
import { asHttpApiError, failureKind, requestErrorOf, type RequestExecutor } from "./request-executor.js";

export interface JobRunSettings {
  /** Added to the job's priority for every request (job requests yield to interactive ones). */
  priorityOffset: number;
  /** Tries of a request failing with a fault (not a busy fleet) before it is recorded as failed. */
  attempts: number;
  /** How often the runner looks whether the job was cancelled. */
  cancelPollMs: number;
}

export interface RunDeps {
  store: JobStore;
  share: FleetShare;
  executor: RequestExecutor;
  /** Stops an earlier attempt's session (a rerun after a crash must not leave it running). */
  stopSession: (sessionId: string) => void;
  /** A request's result was recorded (counted once): usage accounting follows it. */
  recorded: (job: JobState, result: RequestResult) => void;
  log: Logger;
  settings: JobRunSettings;
}

/** Requests read from the store at once. */
const CHUNK = 100;

/**
 * One run of one job: its requests without a result, each when the fleet's share gives it a
 * slot, until all have one or the job is cancelled. A run can stop anywhere (a crash, a shutdown):
 * the next run takes the requests still without a result; a request that was running is run again
 * under a new session id and its first attempt's session is stopped. Results are recorded once.
 */
export class JobRun {
  private readonly stop = new AbortController();
  private requests: JobRequest[] = [];
  private requestsFrom = 0;
  /** For operators (`progress()`): the job's status as this run knows it, and its counts, kept as results are recorded. */
  private status: string;
  private readonly counts: { succeeded: number; failed: number };

  constructor(
    private readonly job: JobState,
    private readonly deps: RunDeps,
    /** The gateway is shutting down: stop at once, the job is run again elsewhere. */
    private readonly shutdown: AbortSignal,
  ) {
    this.status = job.status;
    this.counts = { succeeded: job.counts.succeeded, failed: job.counts.failed };
  }

  get id(): string {
    return this.job.record.id;
  }

  /** The job's progress as this run knows it (no Redis read): what `GatewayJobsReport` lists. */
  progress(): JobProgress {
    const { id, tenant, total, createdAt } = this.job.record;
    const { succeeded, failed } = this.counts;
    return {
      id,
      keyId: tenant === ANONYMOUS ? null : tenant,
      status: this.status,
      total,
      completed: succeeded,
      failed,
      createdAt,
    };
  }

  /** Runs the job's pending requests; resolves when each has a result or the run was stopped. */
  async run(): Promise<"finished" | "cancelled" | "interrupted"> {
    const outcome = await this.runRequests();
    const { succeeded, failed } = this.counts;
    if (outcome === "cancelled") this.status = "cancelled";
    // Interrupted by a shutdown: the job goes back to the queue and runs again (here or elsewhere).
    else if (outcome === "interrupted") this.status = "queued";
    else if (succeeded + failed >= this.job.record.total) this.status = succeeded > 0 ? "succeeded" : "failed";
    return outcome;
  }

  private async runRequests(): Promise<"finished" | "cancelled" | "interrupted"> {
    const { store } = this.deps;
    const onShutdown = () => this.stop.abort(new Error("the gateway is shutting down"));
    this.shutdown.addEventListener("abort", onShutdown, { once: true });
    const watch = setInterval(() => void this.watchCancel(), this.deps.settings.cancelPollMs);
    try {
      if (await store.cancelRequested(this.id)) return "cancelled";
      await store.transition(this.id, ["queued"], "running", Date.now());
      this.status = "running";
      const finished = await store.finishedIndices(this.id);
      const running = new Set<Promise<void>>();
      for (let index = 0; index < this.job.record.total && !this.stop.signal.aborted; index++) {
        if (finished.has(index)) continue;
        const lease = await this.deps.share
          .acquire(this.job.record.tenant, `${this.id}:${index}`, this.stop.signal)
          .catch(() => null);
        if (!lease) break;
        // Requests are read one after another (they share a chunk cache); a failed read frees the slot.
        const request = await this.requestAt(index).catch(async (err: unknown) => {
          await lease.release().catch(() => undefined);
          throw err;
        });
        const task: Promise<void> = this.runRequest(index, request).finally(() => {
          running.delete(task);
          void lease.release().catch(() => undefined);
        });
        running.add(task);
      }
      await Promise.all(running);
      if (this.shutdown.aborted) return "interrupted";
      return (await store.cancelRequested(this.id)) ? "cancelled" : "finished";
    } finally {
      clearInterval(watch);
      this.shutdown.removeEventListener("abort", onShutdown);
    }
  }

  private async watchCancel(): Promise<void> {
    if (await this.deps.store.cancelRequested(this.id).catch(() => false))
      this.stop.abort(new Error("the job was cancelled"));
  }

  private async requestAt(index: number): Promise<JobRequest> {
    if (index < this.requestsFrom || index >= this.requestsFrom + this.requests.length) {
      this.requestsFrom = index;
      this.requests = await this.deps.store.requests(this.id, index, CHUNK);
    }
    return this.requests[index - this.requestsFrom]!;
  }

  /** Tries the request until it has an answer of its own (success or a final error), or the run stops. */
  private async runRequest(index: number, request: JobRequest): Promise<void> {
    const { store, executor, settings } = this.deps;
    const signal = this.stop.signal;
    const priority = Math.max(-1000, Math.min(1000, this.job.record.priority + settings.priorityOffset));
    let faults = 0;
    let busy = 0;
    for (;;) {
      const { sessionId, previous } = await store.newAttempt(this.id, index);
      // An earlier attempt (this run's, or a dead gateway's) may still be running: stop it.
      if (previous) this.deps.stopSession(previous);
      try {
        const executed = await executor.run(request, { sessionId, priority, origin: this.origin, signal });
        await this.record({
          index,
          customId: request.customId,
          status: "succeeded",
          response: executed.response,
          error: null,
          usage: executed.usage,
          finishedAt: Date.now(),
        });
        return;
      } catch (err) {
        if (signal.aborted) return;
        const error = asHttpApiError(err);
        const kind = failureKind(error);
        if (kind === "final" || (kind === "fault" && ++faults >= settings.attempts)) {
          await this.record({
            index,
            customId: request.customId,
            status: "failed",
            response: null,
            error: requestErrorOf(error),
            usage: { promptTokens: 0, completionTokens: 0 },
            finishedAt: Date.now(),
          });
          return;
        }
        if (kind === "busy") busy++;
        this.deps.log.info(
          { jobId: this.id, index, sessionId, status: error.status, code: error.code },
          "job request retried",
        );
        const waitS = error.retryAfterSeconds ?? Math.min(30, 2 ** Math.min(faults + busy, 5) / 2);
        await sleep(waitS * 1000, signal).catch(() => undefined);
        if (signal.aborted) return;
      }
    }
  }

  /** The job's key (its tenant; none for an anonymous job) and id, for operators. */
  private get origin() {
    const { tenant, id } = this.job.record;
    return { keyId: tenant === ANONYMOUS ? null : tenant, jobId: id };
  }

  private async record(result: RequestResult): Promise<void> {
    const { recorded } = await this.deps.store.recordResult(this.id, result);
    if (!recorded) return;
    this.counts[result.status]++;
    this.deps.recorded(this.job, result);
  }
}
