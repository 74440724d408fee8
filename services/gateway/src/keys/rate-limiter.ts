import type { Redis } from "ioredis";
import type { KeyLimits } from "./api-key.js";
import { LIMIT_WINDOW_MS, type Bucket } from "./rate-limit-arithmetic.js";

const bucketsKey = (keyId: string) => `specfleet:ratelimit:${keyId}:buckets`;
const leasesKey = (keyId: string) => `specfleet:ratelimit:${keyId}:leases`;

/**
 * A concurrency lease lives this long unless renewed: a gateway that dies with requests in flight
 * frees their slots within it. The request renews its lease while it runs.
 */
export const LEASE_MS = 30_000;

/**
 * Admission, atomically: the drained levels of both buckets (Redis' clock, so replicas agree),
 * the live leases (expired ones dropped), then either all three limits take the request or
 * none does. Returns the verdict and the levels after it.
 */
const ADMIT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rpm, tpm, conc = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local cost, lease, leaseMs, window = tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7])
local function level(name, limit)
  if limit <= 0 then return 0 end
  local used = tonumber(redis.call('HGET', KEYS[1], name) or '0')
  local at = tonumber(redis.call('HGET', KEYS[1], name .. '_at') or now)
  return math.max(0, used - (now - at) * limit / window)
end
local req, tok, active = level('req', rpm), level('tok', tpm), 0
if conc > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  active = redis.call('ZCARD', KEYS[2])
end
local verdict = 'ok'
if conc > 0 and active >= conc then verdict = 'concurrent'
elseif rpm > 0 and req + 1 > rpm then verdict = 'requests'
elseif tpm > 0 and cost > tpm then verdict = 'too_large'
elseif tpm > 0 and tok + cost > tpm then verdict = 'tokens' end
if verdict == 'ok' then
  if rpm > 0 then req = req + 1 end
  if tpm > 0 then tok = tok + cost end
  if conc > 0 then
    redis.call('ZADD', KEYS[2], now + leaseMs, lease)
    redis.call('PEXPIRE', KEYS[2], leaseMs * 2)
    active = active + 1
  end
end
redis.call('HSET', KEYS[1], 'req', tostring(req), 'req_at', now, 'tok', tostring(tok), 'tok_at', now)
redis.call('PEXPIRE', KEYS[1], window * 2)
return { verdict, tostring(req), tostring(tok), active }
`;

/** Moves the tokens bucket by `delta` (actual minus reserved), drained to now first. */
const SETTLE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tpm, delta, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local used = tonumber(redis.call('HGET', KEYS[1], 'tok') or '0')
local at = tonumber(redis.call('HGET', KEYS[1], 'tok_at') or now)
local tok = math.max(0, math.max(0, used - (now - at) * tpm / window) + delta)
redis.call('HSET', KEYS[1], 'tok', tostring(tok), 'tok_at', now)
redis.call('PEXPIRE', KEYS[1], window * 2)
return tostring(tok)
`;

/** Renews a lease that is still held (XX: a lease already dropped as expired is not revived). */
const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
return redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[2]), ARGV[1])
`;

interface LimitCommands {
  specfleetAdmit(
    buckets: string,
    leases: string,
    ...args: Array<string | number>
  ): Promise<[string, string, string, number]>;
  specfleetSettle(buckets: string, ...args: Array<string | number>): Promise<string>;
  specfleetRenew(leases: string, ...args: Array<string | number>): Promise<number>;
}

export type Verdict = "ok" | "concurrent" | "requests" | "tokens" | "too_large";

export interface AdmissionResult {
  verdict: Verdict;
  /** The buckets of the limits the key has, after the decision. */
  requests: Bucket | null;
  tokens: Bucket | null;
  /** Leases held after the decision (0 without a concurrency limit). */
  concurrent: number;
}

/** Per-key limits in Redis, shared by every gateway replica. */
export class RateLimiter {
  private readonly commands: LimitCommands;

  constructor(private readonly redis: Redis) {
    redis.defineCommand("specfleetAdmit", { numberOfKeys: 2, lua: ADMIT });
    redis.defineCommand("specfleetSettle", { numberOfKeys: 1, lua: SETTLE });
    redis.defineCommand("specfleetRenew", { numberOfKeys: 1, lua: RENEW });
    this.commands = redis as unknown as LimitCommands;
  }

  /** One request that reserves `tokens`, and takes the lease `leaseId` if the key limits concurrency. */
  async admit(keyId: string, limits: KeyLimits, tokens: number, leaseId: string): Promise<AdmissionResult> {
    const rpm = limits.requestsPerMinute ?? 0;
    const tpm = limits.tokensPerMinute ?? 0;
    const [verdict, req, tok, concurrent] = await this.commands.specfleetAdmit(
      bucketsKey(keyId),
      leasesKey(keyId),
      rpm,
      tpm,
      limits.concurrentRequests ?? 0,
      tokens,
      leaseId,
      LEASE_MS,
      LIMIT_WINDOW_MS,
    );
    return {
      verdict: verdict as Verdict,
      requests: rpm > 0 ? { limit: rpm, used: Number(req) } : null,
      tokens: tpm > 0 ? { limit: tpm, used: Number(tok) } : null,
      concurrent,
    };
  }

  /** The request used `actual` tokens where it reserved `reserved`: the difference goes back (or is added). */
  async settle(keyId: string, tokensPerMinute: number, reserved: number, actual: number): Promise<void> {
    if (reserved === actual) return;
    await this.commands.specfleetSettle(bucketsKey(keyId), tokensPerMinute, actual - reserved, LIMIT_WINDOW_MS);
  }

  async renew(keyId: string, leaseId: string): Promise<void> {
    await this.commands.specfleetRenew(leasesKey(keyId), leaseId, LEASE_MS);
  }

  async release(keyId: string, leaseId: string): Promise<void> {
    await this.redis.zrem(leasesKey(keyId), leaseId);
  }
}
