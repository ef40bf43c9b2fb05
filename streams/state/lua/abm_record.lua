-- Record one event's points for one intent rule into an account's ABM day buckets,
-- once: the de-duplication mark, the cap count and the sums are one atomic step.
--
-- KEYS[1] - the account's day hash for the event's day (lq:{abm:<account>}:d:<day>):
--           "e:<event digest>:<rule>" -> 1 (seen), "r:<rule>" and "l:<lead>" -> points
-- KEYS[2] - the account's day totals hash (lq:{abm:<account>}:days): "<day>" -> points,
--           "newest" -> the newest day with activity
-- KEYS[3] - the cap counter of (lead, rule, cap window) (lq:{abm:<account>}:cap:...)
-- ARGV[1] - the seen field ("e:<event digest>:<rule>")
-- ARGV[2] - the event's day number (days since 1970-01-01, UTC)
-- ARGV[3] - points (may be negative)
-- ARGV[4] - the rule field ("r:<rule>"); ARGV[5] - the lead field ("l:<lead>")
-- ARGV[6] - days of history kept (surge window + baseline): older days are refused
--           and dropped from the totals
-- ARGV[7] - unix seconds the day hash expires at
-- ARGV[8] - the cap count (0: the rule has no cap); ARGV[9] - unix seconds the cap
--           counter expires at
-- ARGV[10] - seconds the totals hash lives after a write (an idle account is dropped)
-- Returns 1 counted, 0 duplicate (seen before), 2 over the cap (seen, not counted),
-- 3 older than the history kept (not counted, not marked).
local day = tonumber(ARGV[2])
local span = tonumber(ARGV[6])
local newest = tonumber(redis.call('HGET', KEYS[2], 'newest') or '-1')
if newest >= 0 and day <= newest - span then
  return 3
end
if redis.call('HSETNX', KEYS[1], ARGV[1], '1') == 0 then
  return 0
end
redis.call('EXPIREAT', KEYS[1], ARGV[7])
local cap = tonumber(ARGV[8])
if cap > 0 then
  local count = redis.call('INCR', KEYS[3])
  if count == 1 then
    redis.call('EXPIREAT', KEYS[3], ARGV[9])
  end
  if count > cap then
    return 2
  end
end
redis.call('HINCRBYFLOAT', KEYS[1], ARGV[4], ARGV[3])
redis.call('HINCRBYFLOAT', KEYS[1], ARGV[5], ARGV[3])
redis.call('HINCRBYFLOAT', KEYS[2], ARGV[2], ARGV[3])
if day > newest then
  redis.call('HSET', KEYS[2], 'newest', ARGV[2])
  -- A new newest day: forget the days that left the history.
  for _, field in ipairs(redis.call('HKEYS', KEYS[2])) do
    local old = tonumber(field)
    if old ~= nil and old <= day - span then
      redis.call('HDEL', KEYS[2], field)
    end
  end
end
redis.call('EXPIRE', KEYS[2], ARGV[10])
return 1
