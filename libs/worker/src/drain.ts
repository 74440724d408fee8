import { setTimeout as sleep } from "node:timers/promises";
import type { DrainControl, DrainStatus } from "#lifecycle";
import type { Logger } from "#logging";

/** How often a drain looks at the session count. */
const POLL_MS = 100;
/**
 * No session for this long after the registry acknowledged the drain: a placement the scheduler
 * decided before it saw the drain (the fleet snapshot goes out within ~50 ms) has arrived by then.
 */
const SETTLE_MS = 400;

/** What a drain needs of the running worker: its session count, and telling the registry. */
export interface DrainTarget {
  sessions(): number;
  /** Marks the worker draining at the registry (WorkerDraining); rejects when it could not. */
  tellRegistry(): Promise<void>;
}

/**
 * A worker being stopped drains first (SIGTERM, or a pod's preStop through POST /drain): it tells
 * the registry, which marks it draining; the scheduler then moves its sessions (a verifier's
 * resume elsewhere from their journal, a drafter's go on with another drafter or alone), and the
 * drain is done when it holds none, or when `timeoutMs` has passed. Asked before the worker runs
 * (model still loading), the drain waits for it to run.
 */
export class WorkerDrain implements DrainControl {
  private startedAt: number | null = null;
  private target: DrainTarget | null = null;
  private acknowledgedAt: number | null = null;
  private emptySince: number | null = null;
  private finished = false;

  constructor(
    private readonly timeoutMs: number,
    private readonly log: Logger,
  ) {}

  /** The worker runs: a drain asked earlier starts now. */
  bind(target: DrainTarget): void {
    this.target = target;
    if (this.startedAt !== null) this.tell(target);
  }

  start(): void {
    if (this.startedAt !== null) return;
    this.startedAt = Date.now();
    this.log.info({ sessions: this.target?.sessions() ?? 0, timeoutMs: this.timeoutMs }, "draining");
    if (this.target !== null) this.tell(this.target);
  }

  get draining(): boolean {
    return this.startedAt !== null;
  }

  status(): DrainStatus {
    const sessions = this.target?.sessions() ?? 0;
    return { draining: this.draining, done: this.isDone(sessions, Date.now()), sessions };
  }

  /** Drains and resolves once done (no session left, or the time is up). */
  async untilDone(): Promise<void> {
    this.start();
    while (!this.status().done) await sleep(POLL_MS);
  }

  private isDone(sessions: number, now: number): boolean {
    if (this.startedAt === null) return false;
    if (this.finished) return true;
    if (sessions > 0 || this.acknowledgedAt === null) this.emptySince = null;
    else this.emptySince ??= Math.max(now, this.acknowledgedAt);
    const empty = this.emptySince !== null && now - this.emptySince >= SETTLE_MS;
    const late = now - this.startedAt >= this.timeoutMs;
    if (!empty && !late) return false;
    this.finished = true;
    const fields = { sessions, ms: now - this.startedAt };
    if (empty) this.log.info(fields, "drained: no session left");
    else this.log.warn(fields, "drain timed out: stopping with sessions left (they resume elsewhere)");
    return true;
  }

  /** Marks the worker draining at the registry; a registry that cannot be told leaves the scheduler to find it gone. */
  private tell(target: DrainTarget): void {
    target.tellRegistry().then(
      () => {
        this.acknowledgedAt = Date.now();
        this.log.info({}, "the registry marked this worker draining");
      },
      (err: unknown) => {
        this.acknowledgedAt = Date.now();
        this.log.warn({ err: String(err) }, "could not tell the registry this worker drains");
      },
    );
  }
}
