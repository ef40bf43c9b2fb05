--[[ alert_claim.lua: claim an SDR alert before a request to its webhook (or renew it).

An alert id is in one of three states: absent (never tried, or forgotten after its
time to live), claimed by one delivery attempt ("c:<token>", with a lease), or settled
("d": delivered; "x": dead-lettered). A worker claims before every request; a claim
that expired (its worker died) can be taken over.

KEYS[1] - the alert's key (lq:alert:{<alert id>})
ARGV[1] - the claimer's token
ARGV[2] - the lease in milliseconds
Returns {1, ""} when the caller holds the claim now (new or renewed), else {0, value,
remaining lease in ms (-1 for a settled alert)}.
]]
local mine = 'c:' .. ARGV[1]
local current = redis.call('GET', KEYS[1])
if current == false or current == mine then
  redis.call('SET', KEYS[1], mine, 'PX', ARGV[2])
  return {1, ''}
end
if string.sub(current, 1, 2) == 'c:' then
  return {0, current, redis.call('PTTL', KEYS[1])}
end
return {0, current, -1}
