import type { Redis } from "ioredis";
import type { Tenant } from "./job.js";
import { ACQUIRE } from "./fleet-share.lua.js";

const LEASES = "specfleet:jobs:share:leases";
const WANTING = "specfleet:jobs:share:wanting";

type Commands = Redis & { specfleetShareAcquire(...args: Array<string | number>): Promise<number> };

export interface ShareTuning {
  /** A lease not renewed this long is free again (its gateway died). */
  leaseTtlMs: number;
  /** How often a waiting request asks again for a slot. */
  pollMs: number;
}

/** A held slot: renewed in the background until released. */
export interface ShareLease {
  release(): Promise<void>;
}

/**
 * The slots of the fleet that jobs may use at once, shared fairly between tenants (API keys),
 * across every gateway replica (the leases are in Redis, and expire if a gateway dies holding
 * them). `cap()` is the share's size now: a fraction of the fleet's sessions.
 */
export class FleetShare {
  private readonly redis: Commands;
  /** Waiters of this gateway, woken when one of its leases is released (others poll). */
  private readonly waiters = new Set<() => void>();

  constructor(
    redis: Redis,
    private readonly cap: () => number,
    private readonly tuning: ShareTuning,
  ) {
    redis.defineCommand("specfleetShareAcquire", { numberOfKeys: 2, lua: ACQUIRE });
    this.redis = redis as Commands;
  }

  /** Waits for a slot for `holder` (a job's request); rejects with the signal's reason if aborted first. */
  async acquire(tenant: Tenant, holder: string, signal: AbortSignal): Promise<ShareLease> {
    for (;;) {
      signal.throwIfAborted();
      if (await this.tryAcquire(tenant, holder)) return this.leaseOf(tenant, holder);
      await this.released(this.tuning.pollMs * (0.75 + Math.random() / 2), signal);
    }
  }

  private async tryAcquire(tenant: Tenant, holder: string): Promise<boolean> {
    const granted = await this.redis.specfleetShareAcquire(
      LEASES,
      WANTING,
      tenant,
      holder,
      Date.now(),
      this.tuning.leaseTtlMs,
      Math.max(1, this.cap()),
      // A tenant counts as asking for a little longer than its waiters ask again.
      this.tuning.pollMs * 4,
    );
    return granted === 1;
  }

  /** Resolves when a lease of this gateway is released or after `ms` (a slot may free elsewhere). */
  private released(ms: number, signal: AbortSignal): Promise<void> {
    let wake = () => {};
    const woken = new Promise<void>((resolve) => (wake = resolve));
    this.waiters.add(wake);
    return Promise.race([woken, sleep(ms, signal)]).finally(() => this.waiters.delete(wake));
  }

  private leaseOf(tenant: Tenant, holder: string): ShareLease {
    const member = `${tenant}|${holder}`;
    const renew = setInterval(() => {
      this.redis.zadd(LEASES, "XX", Date.now() + this.tuning.leaseTtlMs, member).catch(() => undefined);
    }, this.tuning.leaseTtlMs / 3);
    renew.unref();
    return {
      release: async () => {
        clearInterval(renew);
        await this.redis.zrem(LEASES, member);
        for (const wake of [...this.waiters]) wake();
      },
    };
  }
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
