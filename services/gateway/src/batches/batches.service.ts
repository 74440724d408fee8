import { randomUUID } from "node:crypto";
import type { GatewayConfig } from "#config";
import type { FilesService } from "../files/files.service.js";
import { HttpApiError } from "#http";
import { parseRequest } from "../http/parse-request.js";
import type { JobState, Tenant } from "../jobs/job.js";
import type { JobRequestValidator } from "../jobs/job-request.js";
import type { JobsService } from "../jobs/jobs.service.js";
import type { BatchFiles } from "./batch-files.js";
import { checkBatchLines, type CheckedLines } from "./batch-lines.js";
import { createBatchSchema, type CreateBatch } from "./batch-request.js";
import type { BatchPage, BatchStore } from "./batch-store.js";
import { ERRORS_SHOWN, type BatchError, type BatchState, type FailedBatch } from "./batch-view.js";

const HOUR = 3_600_000;
/** Invalid lines are kept this much beyond the jobs' retention until the job finishes (then they expire with it). */
const UNFINISHED_GRACE_MS = 30 * 24 * HOUR;

/**
 * OpenAI's Batch API on the jobs engine: a batch's valid input lines become one job (id
 * `batch_…`) that runs like any other; its bad lines are reported by number and do not stop it.
 * A file with no line that can run makes a `failed` batch and no job.
 */
export class BatchesService {
  constructor(
    private readonly config: GatewayConfig,
    private readonly jobs: JobsService,
    private readonly validator: JobRequestValidator,
    private readonly files: FilesService,
    private readonly store: BatchStore,
    private readonly batchFiles: BatchFiles,
  ) {}

  async create(tenant: Tenant, body: unknown, jobPriority: number): Promise<BatchState> {
    const request = parseRequest(createBatchSchema, body);
    const input = await this.files.get(tenant, request.input_file_id).catch((err: unknown) => {
      throw err instanceof HttpApiError && err.status === 404
        ? new HttpApiError(404, err.message, err.type, err.code, "input_file_id")
        : err;
    });
    if (input.purpose !== "batch")
      throw HttpApiError.invalid(
        `the file '${input.id}' has purpose '${input.purpose}'; a batch reads a file uploaded with purpose 'batch'`,
        "input_file_id",
      );
    const text = decodeUtf8(await this.files.contentOf(input));
    if (text === null) return this.fail(tenant, request, 0, [fileError("invalid_file", "the file is not UTF-8 text")]);
    const checked = checkBatchLines(text, request.endpoint, (endpoint, b) => this.validator.check(endpoint, b));
    const total = checked.valid.length + checked.invalid.length;
    if (total === 0) return this.fail(tenant, request, 0, [fileError("empty_file", "the file holds no request")]);
    if (checked.valid.length === 0) return this.fail(tenant, request, total, checked.invalid.map(lineError));
    if (checked.valid.length > this.config.JOBS_MAX_REQUESTS)
      return this.fail(tenant, request, total, [
        fileError("too_many_requests", `a batch holds at most ${this.config.JOBS_MAX_REQUESTS} requests`),
      ]);
    const job = await this.createJob(tenant, request, checked, jobPriority);
    const ttl = this.config.JOBS_RETENTION_HOURS * HOUR + UNFINISHED_GRACE_MS;
    await this.store.saveJobBatch(tenant, job.record.id, job.record.createdAt, checked.invalid, ttl);
    return { kind: "job", job, invalid: checked.invalid.slice(0, ERRORS_SHOWN), files: { output: null, errors: null } };
  }

  private async createJob(tenant: Tenant, request: CreateBatch, checked: CheckedLines, jobPriority: number) {
    try {
      return await this.jobs.create({
        tenant,
        model: checked.model!,
        requests: checked.valid.map((line) => ({
          customId: line.customId,
          endpoint: request.endpoint,
          body: line.body,
        })),
        priority: Math.max(-1000, Math.min(1000, jobPriority)),
        metadata: request.metadata ?? null,
        webhookUrl: null,
        source: "batch",
        batch: {
          inputFileId: request.input_file_id,
          endpoint: request.endpoint,
          completionWindow: request.completion_window,
          invalidLines: checked.invalid.length,
        },
      });
    } catch (err) {
      if (err instanceof HttpApiError && err.code === "model_not_found")
        throw new HttpApiError(
          404,
          `the file's requests ask for the model '${checked.model}', which this fleet does not serve (see GET /v1/models)`,
          "invalid_request_error",
          "model_not_found",
          "input_file_id",
        );
      throw err;
    }
  }

  private async fail(tenant: Tenant, request: CreateBatch, total: number, errors: BatchError[]): Promise<BatchState> {
    const batch: FailedBatch = {
      id: `batch_${randomUUID().replace(/-/g, "")}`,
      tenant,
      inputFileId: request.input_file_id,
      endpoint: request.endpoint,
      completionWindow: request.completion_window,
      metadata: request.metadata ?? null,
      createdAt: Date.now(),
      total,
      errors: errors.slice(0, ERRORS_SHOWN),
    };
    await this.store.saveFailed(batch, this.config.JOBS_RETENTION_HOURS * HOUR);
    return { kind: "failed", batch };
  }

  /** The tenant's batch, or 404. */
  async get(tenant: Tenant, id: string): Promise<BatchState> {
    const state = await this.find(tenant, id);
    if (state === null)
      throw new HttpApiError(404, `No such batch: ${id}`, "invalid_request_error", "batch_not_found", "batch_id");
    return state;
  }

  async list(tenant: Tenant, options: { limit: number; after?: string }): Promise<BatchPage<BatchState>> {
    const page = await this.store.list(tenant, options, (id) => this.find(tenant, id));
    if (page === null)
      throw HttpApiError.invalid(`no batch '${options.after}' to page after (it may have expired)`, "after");
    return page;
  }

  /** Stops the batch's job (its finished requests' results stay in the output file); a finished batch is left as it is. */
  async cancel(tenant: Tenant, id: string): Promise<BatchState> {
    const state = await this.get(tenant, id);
    if (state.kind === "failed") return state;
    return this.stateOf(await this.jobs.cancel(tenant, id));
  }

  private async find(tenant: Tenant, id: string): Promise<BatchState | null> {
    if (!id.startsWith("batch_")) return null;
    const failed = await this.store.failed(id);
    if (failed) return failed.tenant === tenant ? { kind: "failed", batch: failed } : null;
    let job: JobState;
    try {
      job = await this.jobs.get(tenant, id);
    } catch (err) {
      if (err instanceof HttpApiError && err.status === 404) return null;
      throw err;
    }
    return job.record.source === "batch" ? this.stateOf(job) : null;
  }

  private async stateOf(job: JobState): Promise<BatchState> {
    const invalidLines = job.record.batch?.invalidLines ?? 0;
    const [invalid, files] = await Promise.all([
      invalidLines > 0 ? this.store.invalid(job.record.id, 0, ERRORS_SHOWN) : Promise.resolve([]),
      this.batchFiles.filesOf(job),
    ]);
    return { kind: "job", job, invalid, files };
  }
}

function decodeUtf8(content: Buffer): string | null {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(content);
  } catch {
    return null;
  }
}

const fileError = (code: string, message: string): BatchError => ({ code, message, param: null, line: null });
const lineError = (line: { line: number; code: string; message: string; param: string | null }): BatchError => ({
  code: line.code,
  message: `line ${line.line}: ${line.message}`,
  param: line.param,
  line: line.line,
});
