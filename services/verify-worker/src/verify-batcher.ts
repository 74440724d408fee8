import type { BatchingPolicy, PendingRound } from "#batching";

interface Waiting {
  round: PendingRound;
  /** Starts the pass; `batchTokens` is the decode's size, this round's tokens included. */
  start: (batchTokens: number) => void;
}

/**
 * Gathers the forward passes of verify rounds that arrive together (within `waitMs`, or the same
 * turn of the event loop when 0) and starts up to `limit` of them, chosen by the batching
 * policy, in one tick: node-llama-cpp then evaluates them as one decode. Rounds arriving while a
 * batch runs wait for the next one. When every session that could join is already waiting
 * (`sessions()`), the batch starts at once: waiting a turn of the event loop costs ~1 ms a round.
 * A round being drafted here (`expect`: the verifier drafting for itself) is waited for, so the
 * sessions a verifier drafts for go in step, one pass for all, as llama-server's slots do.
 */
export class VerifyBatcher {
  private readonly waiting: Waiting[] = [];
  private running = 0;
  private scheduled = false;
  /** When the running batch started (performance.now()). */
  private startedAt = 0;
  /** Rounds being drafted here, that the next batch waits for. */
  private expected = 0;

  constructor(
    private readonly policy: BatchingPolicy,
    private readonly limit: number,
    private readonly waitMs: number,
    /** A batch starts: its rounds and the tokens of its forward pass. */
    private readonly onBatch: (size: number, tokens: number) => void = () => undefined,
    private readonly sessions: () => number = () => Number.POSITIVE_INFINITY,
    /** A batch's passes have all settled, `ms` after it started. */
    private readonly onBatchDone: (ms: number) => void = () => undefined,
  ) {}

  /** Runs `pass` in a batch; resolves with its result. `onStart` learns the batch's tokens. */
  submit<T>(
    sessionId: string,
    tokens: number,
    pass: () => Promise<T>,
    onStart?: (batchTokens: number) => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({
        round: { sessionId, arrivedAt: Date.now(), tokens },
        start: (batchTokens) => {
          onStart?.(batchTokens);
          pass()
            .then(resolve, reject)
            .finally(() => this.finished());
        },
      });
      this.schedule();
    });
  }

  /**
   * A round is being drafted here and will be submitted: the next batch waits for it. Call the
   * returned function once, when it is about to be submitted or will not be.
   */
  expect(): () => void {
    this.expected++;
    let arrived = false;
    return () => {
      if (arrived) return;
      arrived = true;
      this.expected--;
      this.schedule();
    };
  }

  private schedule(): void {
    if (this.running > 0 || this.waiting.length === 0 || this.expected > 0) return;
    if (this.waitMs === 0 && this.waiting.length >= this.sessions()) {
      this.flush();
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    if (this.waitMs > 0) setTimeout(() => this.flush(), this.waitMs);
    else setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    if (this.running > 0) return; // a full batch already started
    if (this.expected > 0) return; // the last expected round's arrival schedules it

    const chosen = this.policy(
      this.waiting.map((w) => w.round),
      this.limit,
    );
    const batch = chosen.map(
      (round) =>
        this.waiting.splice(
          this.waiting.findIndex((w) => w.round === round),
          1,
        )[0]!,
    );
    this.running = batch.length;
    const batchTokens = batch.reduce((sum, item) => sum + item.round.tokens, 0);
    this.startedAt = performance.now();
    if (batch.length > 0) this.onBatch(batch.length, batchTokens);
    for (const item of batch) item.start(batchTokens);
  }

  private finished(): void {
    this.running--;
    if (this.running > 0) return;
    this.onBatchDone(performance.now() - this.startedAt);
    this.schedule();
  }
}
