import { randomUUID } from "node:crypto";
import { SchedulerStatusRequest } from "#contracts";
import type { GatewayConfig } from "#config";
import type { ContractBus } from "#transport";
import { HttpApiError } from "#http";
import { parseRequest } from "../http/parse-request.js";
import {
  ANONYMOUS,
  FINISHED,
  type JobRecord,
  type JobRequest,
  type JobState,
  type JobStatus,
  type Tenant,
} from "./job.js";
import type { JobPage, JobStore } from "./job-store.js";
import type { JobRunner } from "./job-runner.js";
import { createJobSchema, type CreateJob, type JobRequestValidator } from "./job-request.js";
import type { IdempotencyKeys } from "./idempotency.js";

/** A new job: what `POST /v1/jobs` and `POST /v1/batches` both make. */
export interface NewJob {
  tenant: Tenant;
  model: string;
  requests: JobRequest[];
  priority: number;
  metadata: Record<string, string> | null;
  webhookUrl: string | null;
  source: JobRecord["source"];
  batch: JobRecord["batch"];
}

/**
 * Jobs as their owners see them: made, read, listed and cancelled, each only by its tenant
 * (another tenant's job does not exist for it: 404).
 */
export class JobsService {
  constructor(
    private readonly config: GatewayConfig,
    private readonly store: JobStore,
    private readonly runner: JobRunner,
    private readonly validator: JobRequestValidator,
    private readonly idempotency: IdempotencyKeys,
    private readonly bus: ContractBus,
  ) {}

  /**
   * `POST /v1/jobs`: checks the body and every request as its endpoint would, then stores and
   * queues the job. With an `Idempotency-Key`, a repeat gives back the first job (`replayed`).
   */
  async submit(
    tenant: Tenant,
    body: unknown,
    jobPriority: number,
    idempotencyKey: string | undefined,
  ): Promise<{ job: JobState; replayed: boolean }> {
    const parsed = parseRequest(createJobSchema(this.config.JOBS_MAX_REQUESTS), body);
    if (idempotencyKey !== undefined) {
      const outcome = await this.idempotency.claim(tenant, idempotencyKey, body);
      if (outcome.kind === "replay") {
        const job = await this.store.get(outcome.jobId);
        if (job) return { job, replayed: true };
        // The job expired while its key lives on: the key makes a new one.
      }
    }
    try {
      const job = await this.create(this.newJobOf(tenant, parsed, jobPriority));
      if (idempotencyKey !== undefined) await this.idempotency.settle(tenant, idempotencyKey, body, job.record.id);
      return { job, replayed: false };
    } catch (err) {
      if (idempotencyKey !== undefined) await this.idempotency.forget(tenant, idempotencyKey);
      throw err;
    }
  }

  private newJobOf(tenant: Tenant, body: CreateJob, jobPriority: number): NewJob {
    if (body.webhook && tenant === ANONYMOUS && !this.config.JOBS_WEBHOOK_SECRET)
      throw HttpApiError.invalid(
        "a job's webhook is signed with its API key's webhook secret, or without keys with JOBS_WEBHOOK_SECRET, " +
          "which this gateway does not have: set JOBS_WEBHOOK_SECRET (16+ characters) or use an API key",
        "webhook",
        "webhook_secret_missing",
      );
    return {
      tenant,
      model: body.model,
      requests: body.requests.map((item, at) => this.validator.jobRequest(body.model, item, at)),
      priority: Math.max(-1000, Math.min(1000, body.priority + jobPriority)),
      metadata: body.metadata ?? null,
      webhookUrl: body.webhook?.url ?? null,
      source: "jobs",
      batch: null,
    };
  }

  /** Stores and queues a checked job (the model must be one the fleet serves, when the scheduler can say). */
  async create(job: NewJob): Promise<JobState> {
    await this.checkModel(job.model);
    const record: JobRecord = {
      id: `${job.source === "batch" ? "batch" : "job"}_${randomUUID().replace(/-/g, "")}`,
      tenant: job.tenant,
      source: job.source,
      model: job.model,
      total: job.requests.length,
      priority: job.priority,
      metadata: job.metadata,
      webhookUrl: job.webhookUrl,
      createdAt: Date.now(),
      batch: job.batch,
    };
    await this.store.create(record, job.requests);
    const stored = (await this.store.get(record.id))!;
    await this.runner.enqueue(stored);
    return stored;
  }

  /** The tenant's job, or 404. */
  async get(tenant: Tenant, id: string): Promise<JobState> {
    const job = await this.store.get(id);
    if (!job || job.record.tenant !== tenant)
      throw new HttpApiError(404, `no job '${id}'`, "invalid_request_error", "job_not_found", "id");
    return job;
  }

  async list(tenant: Tenant, options: { limit: number; after?: string; status?: JobStatus }): Promise<JobPage> {
    const page = await this.store.list(tenant, options);
    if (page === null)
      throw HttpApiError.invalid(`no job '${options.after}' to page after (it may have expired)`, "after");
    return page;
  }

  /**
   * Stops what runs and drops what waits: a job that has not started ends at once; a running one
   * ends as soon as its runner sees it (within a second), its running requests stopped.
   */
  async cancel(tenant: Tenant, id: string): Promise<JobState> {
    const job = await this.get(tenant, id);
    if (FINISHED.has(job.status)) return job;
    await this.store.requestCancel(id, Date.now());
    if (await this.store.transition(id, ["queued"], "cancelled", Date.now())) {
      await this.runner.dequeue(id);
      await this.store.expireIn(id, this.config.JOBS_RETENTION_HOURS * 3_600_000, Date.now());
    }
    return (await this.store.get(id)) ?? job;
  }

  private async checkModel(model: string): Promise<void> {
    let served: string[];
    try {
      served = (await this.bus.request(SchedulerStatusRequest, "", {}, 2000)).models.map((m) => m.model);
    } catch {
      return; // The scheduler is away: the job waits for the fleet like any other.
    }
    if (!served.includes(model))
      throw new HttpApiError(
        404,
        `the model '${model}' is not served by this fleet (see GET /v1/models)`,
        "invalid_request_error",
        "model_not_found",
        "model",
      );
  }
}
