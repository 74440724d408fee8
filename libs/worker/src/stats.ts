/** Counters a worker reports in its telemetry. */
export class WorkerStats {
  rounds = 0;
  draftedTokens = 0;
  acceptedTokens = 0;
  /** Rounds in which a draft token was rejected and the KV cache rolled back. */
  rollbacks = 0;
  private tokensInWindow = 0;
  private windowStart = Date.now();
  private lastRate = 0;

  /** Forward passes the verifier ran, and the rounds they carried (mean batch size). */
  batches = 0;
  batchedRounds = 0;

  batch(size: number): void {
    this.batches++;
    this.batchedRounds += size;
  }

  round(drafted: number, accepted: number, committed: number): void {
    this.rounds++;
    this.draftedTokens += drafted;
    this.acceptedTokens += accepted;
    if (accepted < drafted) this.rollbacks++;
    this.tokensInWindow += committed;
  }

  /** Tokens per second since the previous call (one telemetry period). */
  takeRate(now = Date.now()): number {
    const seconds = (now - this.windowStart) / 1000;
    if (seconds > 0) this.lastRate = this.tokensInWindow / seconds;
    this.tokensInWindow = 0;
    this.windowStart = now;
    return this.lastRate;
  }
}
