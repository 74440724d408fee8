import { Body, Controller, Delete, Get, Headers, HttpCode, Inject, Param, Post, Query, Req, Res } from "@nestjs/common";
import type { Request, Response } from "express";
import { z } from "zod";
import type { GatewayConfig } from "#config";
import { listPage, parseRequest } from "../http/parse-request.js";
import { callerOf } from "../keys/index.js";
import { GATEWAY_CONFIG } from "../tokens.js";
import { ANONYMOUS, FINISHED, JOB_STATUSES, type JobState, type Tenant } from "./job.js";
import { JobStore } from "./job-store.js";
import { followJob } from "./job-events.js";
import { jobView, resultView } from "./job-view.js";
import { JobsService } from "./jobs.service.js";

export const listJobsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z.string().min(1).max(96).optional(),
  status: z.enum(JOB_STATUSES).optional(),
});

/** Results read from Redis per step of `GET /v1/jobs/{id}/results`. */
const RESULTS_STEP = 200;

/**
 * The native jobs API (async request-reply): `POST /v1/jobs` answers 202 with the job's
 * `Location`; the job is then read, followed (SSE), its results streamed (JSONL), or cancelled.
 */
@Controller("v1/jobs")
export class JobsController {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly jobs: JobsService,
    private readonly store: JobStore,
  ) {}

  @Post()
  @HttpCode(202)
  async create(
    @Body() body: unknown,
    @Headers("idempotency-key") idempotencyKey: string | undefined,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    const caller = callerOf(req);
    const { job, replayed } = await this.jobs.submit(tenantOf(req), body, caller.jobPriority, idempotencyKey);
    res.set({ Location: `/v1/jobs/${job.record.id}`, "Retry-After": String(this.config.JOBS_POLL_AFTER_S) });
    if (replayed) res.set("Idempotent-Replayed", "true");
    return jobView(job, null);
  }

  @Get()
  async list(@Query() query: unknown, @Req() req: Request) {
    const parsed = parseRequest(listJobsQuerySchema, query);
    const page = await this.jobs.list(tenantOf(req), parsed);
    return listPage(
      page.jobs.map((job) => jobView(job, null)),
      page.hasMore,
    );
  }

  @Get(":id")
  async get(@Param("id") id: string, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const job = await this.jobs.get(tenantOf(req), id);
    if (!FINISHED.has(job.status)) res.set("Retry-After", String(this.config.JOBS_POLL_AFTER_S));
    return this.detailed(job);
  }

  @Get(":id/results")
  async results(@Param("id") id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const job = await this.jobs.get(tenantOf(req), id);
    res.status(200).set({ "Content-Type": "application/jsonl; charset=utf-8", "Cache-Control": "no-cache" });
    let closed = false;
    res.on("close", () => (closed = true));
    for (let from = 0; from < job.record.total && !closed; from += RESULTS_STEP) {
      const results = await this.store.results(id, from, Math.min(RESULTS_STEP, job.record.total - from));
      const lines = results.map((r) => `${JSON.stringify(resultView(r))}\n`).join("");
      if (lines && !res.write(lines)) await new Promise((resolve) => res.once("drain", resolve));
    }
    res.end();
  }

  @Get(":id/events")
  async events(
    @Param("id") id: string,
    @Headers("last-event-id") lastEventId: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const job = await this.jobs.get(tenantOf(req), id);
    await followJob(this.store, job, res, lastEventId);
  }

  @Post(":id/cancel")
  @HttpCode(200)
  async cancel(@Param("id") id: string, @Req() req: Request) {
    return this.detailed(await this.jobs.cancel(tenantOf(req), id));
  }

  @Delete(":id")
  @HttpCode(200)
  async remove(@Param("id") id: string, @Req() req: Request) {
    return this.cancel(id, req);
  }

  /** The job with its first failed requests' errors, and its results when it finished and is small. */
  private async detailed(job: JobState) {
    const small = FINISHED.has(job.status) && job.record.total <= this.config.JOBS_INLINE_RESULTS;
    const [errors, results] = await Promise.all([
      this.store.failures(job.record.id, 100),
      small ? this.store.results(job.record.id, 0, job.record.total) : Promise.resolve(null),
    ]);
    return jobView(job, { errors, results });
  }
}

/** The tenant a request acts for: its API key, or everyone's when the fleet has none. */
export function tenantOf(req: Request): Tenant {
  return callerOf(req).keyId ?? ANONYMOUS;
}
