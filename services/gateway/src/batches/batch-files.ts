import type { GatewayConfig } from "#config";
import type { DerivedFileContent } from "../files/derived-content.js";
import type { StoredFile } from "../files/file.js";
import type { FileStore } from "../files/file-store.js";
import { FINISHED, type JobState } from "../jobs/job.js";
import type { JobStore } from "../jobs/job-store.js";
import { failedRequestLine, invalidLineLine, outputLine } from "./batch-output.js";
import type { BatchStore } from "./batch-store.js";

type Kind = "output" | "errors";

/** Results and invalid lines read from Redis per step while a file is made. */
const STEP = 200;

/**
 * A finished batch's output file (its requests that succeeded) and error file (its invalid lines,
 * then its requests that failed), in OpenAI's line format. Neither is stored: each is made from
 * the job's results whenever it is read. Their records (size, times) are written the first time
 * the finished batch is looked at, and expire with the job.
 */
export class BatchFiles implements DerivedFileContent {
  constructor(
    private readonly config: GatewayConfig,
    private readonly jobs: JobStore,
    private readonly batches: BatchStore,
    private readonly files: FileStore,
  ) {}

  static idOf(batchId: string, kind: Kind): string {
    return `file-${batchId}-${kind}`;
  }

  /** The batch's output and error file ids once it finished (null: not yet, or nothing to put in them). */
  async filesOf(job: JobState): Promise<{ output: string | null; errors: string | null }> {
    if (!FINISHED.has(job.status)) return { output: null, errors: null };
    const invalidLines = job.record.batch?.invalidLines ?? 0;
    const output = job.counts.succeeded > 0 ? await this.ensure(job, "output") : null;
    const errors = job.counts.failed + invalidLines > 0 ? await this.ensure(job, "errors") : null;
    return { output, errors };
  }

  async *lines(file: StoredFile): AsyncIterable<string> {
    if (!file.derivedFrom) return;
    const job = await this.jobs.get(file.derivedFrom.batchId);
    if (job) yield* this.linesOf(job, file.derivedFrom.kind);
  }

  private async ensure(job: JobState, kind: Kind): Promise<string> {
    const id = BatchFiles.idOf(job.record.id, kind);
    if (await this.files.known(id)) return id;
    let bytes = 0;
    for await (const line of this.linesOf(job, kind)) bytes += Buffer.byteLength(line);
    const expiresAt = job.expiresAt ?? Date.now() + this.config.JOBS_RETENTION_HOURS * 3_600_000;
    await this.batches.expireAt(job.record.id, expiresAt);
    await this.files.saveDerived({
      id,
      tenant: job.record.tenant,
      filename: `${job.record.id}_${kind === "output" ? "output" : "error"}.jsonl`,
      purpose: "batch_output",
      bytes,
      createdAt: job.finishedAt ?? Date.now(),
      expiresAt,
      derivedFrom: { batchId: job.record.id, kind },
    });
    return id;
  }

  private async *linesOf(job: JobState, kind: Kind): AsyncIterable<string> {
    const batchId = job.record.id;
    if (kind === "errors") {
      const invalidLines = job.record.batch?.invalidLines ?? 0;
      for (let from = 0; from < invalidLines; from += STEP)
        for (const invalid of await this.batches.invalid(batchId, from, STEP)) yield invalidLineLine(batchId, invalid);
    }
    for (let from = 0; from < job.record.total; from += STEP) {
      const results = await this.jobs.results(batchId, from, Math.min(STEP, job.record.total - from));
      for (const result of results) {
        if (kind === "output" && result.status === "succeeded") yield outputLine(batchId, result);
        if (kind === "errors" && result.status === "failed") yield failedRequestLine(batchId, result);
      }
    }
  }
}
