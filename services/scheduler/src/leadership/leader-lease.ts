import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Redis } from "ioredis";
import { ACQUIRE, FENCED_OUT, RELEASE, RENEW, fencedScript } from "./lease-scripts.js";

/** Where the lease and its fencing-token counter live (the scheduler's Redis keys). */
export const LEASE_KEY = "specfleet:scheduler:leader";
export const LEASE_TOKEN_KEY = "specfleet:scheduler:leader-token";

/** The lease as one holder has it: its value in Redis and its fencing token. */
export interface HeldLease {
  value: string;
  token: number;
}

/** An acquisition: the token, or the remaining ms of the lease another holder has. */
export type Acquisition = { held: HeldLease } | { heldByAnotherForMs: number };

/** A fenced write refused: the lease is a newer leader's, this process must place nothing more. */
export class FencedOutError extends Error {
  constructor(message = "the scheduler lease is held by a newer leader") {
    super(message);
    this.name = "FencedOutError";
  }
}

/** Whether a Redis error is a fenced script's refusal. */
export function isFencedOut(error: unknown): boolean {
  return error instanceof FencedOutError || (error instanceof Error && error.message.startsWith(FENCED_OUT));
}

/**
 * What a fenced write needs: the lease's keys first, then the write's own; the holder's value,
 * token and TTL first, then the write's own arguments (`fencedScript`).
 */
export interface Fence {
  keys: [string, string];
  args: [string, string, string];
  /** Called when Redis refused a write: the holder is deposed. */
  deposed(): void;
}

/** A replica's name in the lease: its host, process and a random part (two processes never share one). */
export function holderName(): string {
  return `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
}

/**
 * The scheduler leader's lease in Redis (SET NX PX with a token from INCR, compare-and-extend,
 * compare-and-delete). One replica holds it; the others poll `acquire` until it lapses.
 */
export class LeaderLease {
  constructor(
    private readonly redis: Redis,
    readonly holder: string,
    readonly ttlMs: number,
  ) {}

  async acquire(): Promise<Acquisition> {
    const [token, pttl] = (await this.redis.eval(ACQUIRE, 2, LEASE_KEY, LEASE_TOKEN_KEY, this.holder, this.ttlMs)) as [
      number,
      number,
    ];
    if (token > 0) return { held: { value: `${this.holder}#${token}`, token } };
    return { heldByAnotherForMs: pttl };
  }

  /** Extends the lease if it is still `held`'s (or lapsed with nobody after it): false when deposed. */
  async renew(held: HeldLease): Promise<boolean> {
    const renewed = await this.redis.eval(RENEW, 2, LEASE_KEY, LEASE_TOKEN_KEY, ...this.argsOf(held));
    return renewed === 1;
  }

  async release(held: HeldLease): Promise<void> {
    await this.redis.eval(RELEASE, 2, LEASE_KEY, LEASE_TOKEN_KEY, held.value);
  }

  /** The fence of `held`, for the writes only the leader may make. */
  fenceOf(held: HeldLease, deposed: () => void): Fence {
    return { keys: [LEASE_KEY, LEASE_TOKEN_KEY], args: this.argsOf(held), deposed };
  }

  private argsOf(held: HeldLease): [string, string, string] {
    return [held.value, String(held.token), String(this.ttlMs)];
  }
}

/**
 * Runs `body` (a Lua write, its keys from KEYS[3], its arguments from ARGV[4]) only if `fence`
 * still holds the lease; a refusal tells the fence (deposed) and throws FencedOutError.
 */
export async function fencedEval(
  redis: Redis,
  fence: Fence,
  body: string,
  keys: string[],
  args: Array<string | number>,
): Promise<unknown> {
  try {
    return await redis.eval(fencedScript(body), 2 + keys.length, ...fence.keys, ...keys, ...fence.args, ...args);
  } catch (error) {
    if (!isFencedOut(error)) throw error;
    fence.deposed();
    throw new FencedOutError();
  }
}
