import { distribution, type ShardSummary } from "./metrics.js";

/**
 * The scheduler split into shards (placement sharded by target model and region): cell c is
 * placed by shard c mod `count`, and each shard is one processor that takes `decisionMs` per
 * decision, in arrival order (an M/D/1 queue per shard). A shard whose arrivals come faster than
 * 1000 / decisionMs per second saturates: its queue, and every request's wait for a decision,
 * grows without bound. Pure: the simulator calls it with its clock.
 */
export class SchedulerShards {
  private readonly freeAt: Float64Array;
  private readonly busyMs: Float64Array;
  private readonly waits: number[] = [];
  private decisions = 0;

  constructor(
    readonly count: number,
    readonly decisionMs: number,
  ) {
    if (!Number.isInteger(count) || count < 1)
      throw new Error(`scheduler shards must be a whole number ≥ 1, not ${count}`);
    if (!(decisionMs >= 0)) throw new Error(`a decision's time must be ≥ 0 ms, not ${decisionMs}`);
    this.freeAt = new Float64Array(count);
    this.busyMs = new Float64Array(count);
  }

  /** Decisions take time: an arrival waits for its shard's decision instead of being placed on arrival. */
  get timed(): boolean {
    return this.decisionMs > 0;
  }

  shardOf(cell: number): number {
    return cell % this.count;
  }

  /** A request of `cell` arrives at `now`: when its shard has decided it (after those queued before it). */
  decide(cell: number, now: number): number {
    const shard = this.shardOf(cell);
    const done = Math.max(now, this.freeAt[shard]!) + this.decisionMs;
    this.take(shard, done);
    this.waits.push(done - now);
    return done;
  }

  /**
   * Decisions made outside the arrival queue (a queue pass or a drafter attach after a session
   * ended): they take the shard's time too, delaying the arrivals behind them.
   */
  charge(cell: number, now: number, decisions: number): void {
    if (decisions <= 0) return;
    const shard = this.shardOf(cell);
    this.take(shard, Math.max(now, this.freeAt[shard]!) + decisions * this.decisionMs, decisions);
  }

  /**
   * From the start to the last decision made: a shard's busy fraction while there were decisions
   * to make, and the decisions per second the shards kept up (the arrival rate below saturation,
   * the shards' capacity above it).
   */
  summary(): ShardSummary {
    const span = Math.max(1e-9, ...this.freeAt);
    let sum = 0;
    let max = 0;
    for (const busy of this.busyMs) {
      sum += busy / span;
      max = Math.max(max, busy / span);
    }
    return {
      shards: this.count,
      decisionMs: this.decisionMs,
      decisions: this.decisions,
      decisionsPerSecond: round4(this.decisions / (span / 1000)),
      utilisation: { mean: round4(sum / this.count), max: round4(max) },
      decisionWaitMs: distribution(this.waits),
    };
  }

  private take(shard: number, until: number, decisions = 1): void {
    this.freeAt[shard] = until;
    this.busyMs[shard] += decisions * this.decisionMs;
    this.decisions += decisions;
  }
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;
