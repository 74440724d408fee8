/**
 * The leader lease's Lua scripts (run atomically by Redis). Every script takes the lease key and
 * the fencing-token counter as KEYS[1], KEYS[2]; a holder is named by its lease value
 * (`<holder>#<token>`) and its token.
 */

/**
 * The fence every leader's step begins with: the lease is this holder's, or it lapsed (Redis was
 * down, a pause longer than the TTL) and nobody acquired it since (the counter still reads this
 * holder's token): then it is this holder's again. Another holder's token means a newer leader.
 * ARGV[1] the lease value, ARGV[2] the token, ARGV[3] the TTL in ms.
 */
const HOLDS = `
local function holds()
  local current = redis.call('GET', KEYS[1])
  if current == ARGV[1] then return true end
  if not current and redis.call('GET', KEYS[2]) == ARGV[2] then
    redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
    return true
  end
  return false
end
`;

/**
 * Takes the lease if nobody holds it, with the next fencing token (INCR: a newer leader always
 * has a larger one). Returns {token, 0}, or {0, the lease's remaining ms} when it is held.
 * ARGV[1] the holder, ARGV[2] the TTL in ms.
 */
export const ACQUIRE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return {0, redis.call('PTTL', KEYS[1])} end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. '#' .. token, 'PX', ARGV[2])
return {token, 0}
`;

/** Extends the lease by the TTL if this holder has it (compare-and-extend): 1, else 0. */
export const RENEW = `${HOLDS}
if not holds() then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

/** Gives the lease up (a leader stopping): a standby takes it at its next look. */
export const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0
`;

/** The error a fenced write answers when the lease is another's (`FencedOutError` in leader-lease.ts). */
export const FENCED_OUT = "FENCED_OUT";

/**
 * A write that only the lease's holder may make: `body` runs after the fence, with its own keys
 * from KEYS[3] and its own arguments from ARGV[4]. A deposed leader's write is refused whole.
 */
export function fencedScript(body: string): string {
  return `${HOLDS}
if not holds() then return redis.error_reply('${FENCED_OUT} the scheduler lease is held by a newer leader') end
${body}
`;
}
