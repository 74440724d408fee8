import type { GatewayJobsReport, JobProgress, PayloadOf } from "#contracts";

/** How often the jobs this gateway runs are reported while any runs. */
export const JOBS_REPORT_MS = 1000;
/** Most jobs one report lists (the contract's bound); the oldest first. */
export const JOBS_REPORT_LIMIT = 200;

export type JobsReportPayload = PayloadOf<typeof GatewayJobsReport>;

/**
 * Tells operators (the dashboard) what this gateway's job runner is doing: every second while it
 * runs jobs, their progress as the runs know it (no Redis read), jobs that ended since the last
 * report with their final status, then one empty report once nothing runs, and silence after.
 */
export class JobsReport {
  private timer: NodeJS.Timeout | null = null;
  /** The last report listed jobs: the next one is sent even if empty. */
  private listed = false;

  constructor(
    /** Running jobs' progress, plus the jobs that ended since the last call. */
    private readonly progress: () => JobProgress[],
    private readonly send: (report: JobsReportPayload) => void,
    private readonly instance: string,
    private readonly intervalMs = JOBS_REPORT_MS,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** One report if there is anything to say: jobs, or the empty list after the last of them. */
  tick(): void {
    const jobs = this.progress().sort((a, b) => a.createdAt - b.createdAt);
    if (jobs.length === 0 && !this.listed) return;
    this.listed = jobs.length > 0;
    try {
      this.send({ at: this.now(), instance: this.instance, jobs: jobs.slice(0, JOBS_REPORT_LIMIT) });
    } catch {
      // Not connected right now: the next report says it again.
    }
  }

  /** Stops reporting, with a last report (ended jobs, or nothing running here any more). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.tick();
  }
}
