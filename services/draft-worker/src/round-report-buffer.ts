import { MAX_ROUND_REPORTS, type RoundReport, type RoundReportBatch } from "#contracts";

/**
 * The drafter's finished rounds, sent to observers in batches (RoundReports v3): every
 * `intervalMs`, at once when MAX_ROUND_REPORTS are waiting, when a session ends (`flush`), and
 * with a session's first round (`first`: observers learn of a new pair at once), so the scheduler
 * and the dashboard wake up a few times a second instead of once per round.
 */
export class RoundReportBuffer {
  private reports: RoundReport[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly drafterId: string,
    private readonly send: (batch: RoundReportBatch) => void,
    private readonly intervalMs = 250,
  ) {}

  add(report: RoundReport, first = false): void {
    this.reports.push(report);
    if (first || this.reports.length >= MAX_ROUND_REPORTS) this.flush();
    else if (this.timer === null) {
      this.timer = setTimeout(() => this.flush(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** Sends what is waiting now (a session ended, the drafter stops). */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.reports.length === 0) return;
    const reports = this.reports;
    this.reports = [];
    this.send({ drafterId: this.drafterId, reports });
  }
}
