import { BoundedLabel, type VerifierMetrics } from "#metrics";

/** The audit's counters; `drafter` bounded like the spec-decode ones (METRICS_MAX_PAIRS, then `other`). */
export class AuditMeter {
  private readonly drafters: BoundedLabel;

  constructor(
    private readonly metrics: VerifierMetrics,
    maxPairs: number,
  ) {
    this.drafters = new BoundedLabel(maxPairs);
  }

  audited(drafterId: string): void {
    this.metrics.auditedRounds.inc({ drafter: this.drafters.of(drafterId) });
  }

  failed(drafterId: string): void {
    this.metrics.auditFailures.inc({ drafter: this.drafters.of(drafterId) });
  }

  skipped(reason: "no_model" | "busy" | "error"): void {
    this.metrics.auditSkipped.inc({ reason });
  }

  alarmed(drafterId: string): void {
    this.metrics.drawCheckAlarms.inc({ drafter: this.drafters.of(drafterId) });
  }

  quarantined(drafterId: string): void {
    this.metrics.quarantines.inc({ drafter: this.drafters.of(drafterId) });
  }
}
