/**
 * Takes (or renews) a slot of the fleet's share for jobs, fairly between tenants.
 * KEYS: leases (sorted set "tenant|holder" → expiry), wanting (sorted set tenant → last asked).
 * ARGV: tenant, holder, now (ms), lease ttl (ms), cap (slots), how long a tenant counts as
 * wanting after it last asked (ms).
 * A slot is given while fewer than `cap` are held and the tenant holds fewer than its fair share:
 * ceil(cap / tenants asking lately). A tenant alone may take every slot; when another asks, the
 * first gets no new slot until it is back to its share. Returns 1 when held, 0 otherwise.
 */
export const ACQUIRE = `
local now = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[6]))
local member = ARGV[1] .. '|' .. ARGV[2]
if redis.call('ZSCORE', KEYS[1], member) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), member)
  return 1
end
local cap = tonumber(ARGV[5])
local held = redis.call('ZRANGE', KEYS[1], 0, -1)
if #held >= cap then return 0 end
local mine = 0
local prefix = ARGV[1] .. '|'
for _, m in ipairs(held) do
  if string.sub(m, 1, #prefix) == prefix then mine = mine + 1 end
end
local tenants = redis.call('ZCARD', KEYS[2])
if mine >= math.ceil(cap / tenants) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), member)
return 1
`;
