import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "#logging";
import { FencedOutError, type Fence, type HeldLease, type LeaderLease } from "./leader-lease.js";

/**
 * The part of the TTL a leader trusts its lease for after the renewal that started at t: the
 * lease in Redis lasts from later than t for the whole TTL, so the leader stops trusting it first,
 * with a fifth to spare for clocks running at slightly different rates.
 */
const TRUSTED_SHARE = 0.8;

export interface LeadershipOptions {
  lease: LeaderLease;
  log: Logger;
  /**
   * The lease is another's (or could not be confirmed in time): called once, and this replica
   * must place nothing more. The scheduler stops the process at once (as SIGKILL would: a case
   * the scheduler already survives); its orchestrator starts it again as a standby.
   */
  deposed: (reason: string) => void;
  /** How often a standby looks at the lease. Default a tenth of the TTL (at least 50 ms). */
  pollMs?: number;
}

/**
 * One scheduler replica's part in the lease: a standby polls until the lease lapses and takes it
 * (a new fencing token); the leader renews it every third of the TTL and checks it before every
 * step that reaches a worker (`ensure`), and its writes to the session table carry the fence
 * (`fence`), so a deposed leader that still runs (a long pause, a partition) can neither write
 * nor open a session after a newer leader took over.
 */
export class Leadership {
  private held: HeldLease | null = null;
  /** performance.now() until which the lease is trusted without asking Redis. */
  private trustedUntil = 0;
  private renewTimer?: NodeJS.Timeout;
  private renewing: Promise<void> | null = null;
  private stopped = false;
  private readonly pollMs: number;

  constructor(private readonly options: LeadershipOptions) {
    this.pollMs = options.pollMs ?? Math.max(50, Math.floor(options.lease.ttlMs / 10));
  }

  get token(): number | null {
    return this.held?.token ?? null;
  }

  get leading(): boolean {
    return this.held !== null;
  }

  /**
   * Polls until this replica holds the lease. `standby` is called once a live leader is seen (its
   * lease was renewed between two looks): this replica is then a ready standby, not one waiting
   * out a dead leader's lease. Rejects when stopped meanwhile.
   */
  async campaign(standby: () => void = () => undefined): Promise<HeldLease> {
    let lastRemaining = Number.POSITIVE_INFINITY;
    let toldStandby = false;
    while (!this.stopped) {
      const started = performance.now();
      try {
        const acquisition = await this.options.lease.acquire();
        if ("held" in acquisition) {
          this.took(acquisition.held, started);
          return acquisition.held;
        }
        if (!toldStandby && acquisition.heldByAnotherForMs > lastRemaining) {
          toldStandby = true;
          standby();
        }
        lastRemaining = acquisition.heldByAnotherForMs;
      } catch (err) {
        this.options.log.warn({ err: String(err) }, "could not look at the scheduler lease; trying again");
      }
      await sleep(this.pollMs);
    }
    throw new Error("stopped before taking the scheduler lease");
  }

  /**
   * Resolves while this replica leads: at once when the last renewal is recent enough, else after
   * asking Redis. A lease that is another's deposes this replica and throws.
   */
  async ensure(): Promise<void> {
    if (this.held !== null && performance.now() < this.trustedUntil) return;
    await this.confirm();
  }

  /** Asks Redis now (a step whose effect must not outlive the lease, such as a queued request's reply). */
  async confirm(): Promise<void> {
    if (this.held === null) throw new FencedOutError("this scheduler replica does not hold the lease");
    await this.renewNow();
    if (this.held === null || performance.now() >= this.trustedUntil) {
      this.depose("the lease could not be confirmed");
      throw new FencedOutError();
    }
  }

  /** The fence of the held lease, for the session table's writes. */
  fence(): Fence {
    if (this.held === null) throw new FencedOutError("this scheduler replica does not hold the lease");
    return this.options.lease.fenceOf(this.held, () => this.depose("a fenced write was refused"));
  }

  /** Gives the lease up (a leader stopping on purpose): a standby takes over at its next look. */
  async release(): Promise<void> {
    this.stopped = true;
    clearInterval(this.renewTimer);
    const held = this.held;
    this.held = null;
    if (held !== null) await this.options.lease.release(held).catch(() => undefined);
  }

  private took(held: HeldLease, startedAt: number): void {
    this.held = held;
    this.trustedUntil = startedAt + this.options.lease.ttlMs * TRUSTED_SHARE;
    this.options.log.info({ token: held.token, ttlMs: this.options.lease.ttlMs }, "took the scheduler lease");
    this.renewTimer = setInterval(() => void this.renewNow(), Math.floor(this.options.lease.ttlMs / 3));
  }

  /** One renewal at a time (a slow Redis must not stack them); a refusal deposes this replica. */
  private renewNow(): Promise<void> {
    this.renewing ??= this.renewOnce().finally(() => (this.renewing = null));
    return this.renewing;
  }

  private async renewOnce(): Promise<void> {
    const held = this.held;
    if (held === null) return;
    const started = performance.now();
    let renewed: boolean;
    try {
      renewed = await this.options.lease.renew(held);
    } catch (err) {
      // Redis unreachable: the lease is trusted until it would lapse, then each step asks again.
      this.options.log.warn({ err: String(err) }, "could not renew the scheduler lease; trying again");
      return;
    }
    if (this.held !== held) return;
    if (renewed) this.trustedUntil = Math.max(this.trustedUntil, started + this.options.lease.ttlMs * TRUSTED_SHARE);
    else this.depose("the lease is held by a newer leader");
  }

  private depose(reason: string): void {
    if (this.held === null) return;
    this.held = null;
    clearInterval(this.renewTimer);
    this.options.log.error({ reason }, "deposed: this scheduler replica stops placing");
    this.options.deposed(reason);
  }
}
