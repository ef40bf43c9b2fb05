-- Remember what the ABM consumer decided about an account after its signals were
-- published: its marks (surge episodes, engaged personas) and the transitions handled,
-- in one step, unless another consumer wrote the marks since they were read.
--
-- KEYS[1] - the account's marks hash (lq:{abm:<account>}:m), field "v" its version
-- KEYS[2..n] - one key per transition handled (lq:{abm:<account>}:tx:<transition id>)
-- ARGV[1] - the version read ("0" when the hash did not exist)
-- ARGV[2] - seconds a handled-transition key lives (the re-delivery window)
-- ARGV[3] - seconds the marks hash lives after a write
-- ARGV[4..] - field, value pairs to set in the marks hash
-- Returns the new version, or -1 if the marks changed since they were read (nothing
-- written: the caller reads again and decides again).
local version = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if version ~= tonumber(ARGV[1]) then
  return -1
end
for i = 2, #KEYS do
  redis.call('SET', KEYS[i], '1', 'EX', ARGV[2])
end
for i = 4, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
version = version + 1
redis.call('HSET', KEYS[1], 'v', version)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return version
