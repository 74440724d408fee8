/**
 * Records a request's result once. KEYS: job hash, results hash, events stream, failed indices
 * (a list). ARGV: index,
 * result JSON, 1 if it succeeded, prompt tokens, completion tokens, event JSON, events kept.
 * Returns {1, done} when recorded, {0, done} when a result was there already, {-1, 0} when the
 * job is gone (expired or never was).
 */
export const RECORD_RESULT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0} end
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 0 then
  return {0, tonumber(redis.call('HGET', KEYS[1], 'done'))}
end
local done = redis.call('HINCRBY', KEYS[1], 'done', 1)
if ARGV[3] == '1' then
  redis.call('HINCRBY', KEYS[1], 'succeeded', 1)
else
  redis.call('HINCRBY', KEYS[1], 'failed', 1)
  redis.call('RPUSH', KEYS[4], ARGV[1])
end
redis.call('HINCRBY', KEYS[1], 'promptTokens', ARGV[4])
redis.call('HINCRBY', KEYS[1], 'completionTokens', ARGV[5])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[7], '*', 'event', ARGV[6])
return {1, done}
`;

/**
 * Moves a job's status. KEYS: job hash, events stream. ARGV: allowed current statuses
 * (comma-separated), new status, time field to stamp ('' for none), time, event JSON, events kept.
 * Returns 1 when it moved, 0 when the current status was not among the allowed (or no job).
 */
export const TRANSITION = `
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return 0 end
local allowed = false
for status in string.gmatch(ARGV[1], '[^,]+') do
  if status == current then allowed = true end
end
if not allowed then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[2])
if ARGV[3] ~= '' then redis.call('HSETNX', KEYS[1], ARGV[3], ARGV[4]) end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[6], '*', 'event', ARGV[5])
return 1
`;
