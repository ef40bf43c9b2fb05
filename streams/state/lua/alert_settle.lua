--[[ alert_settle.lua: record how an SDR alert ended, for as long as ids are remembered.

"d" (delivered) is always written: a webhook acknowledged the message, whoever held
the claim, and remembering it can only prevent a duplicate. "x" (dead-lettered) is
written only by the claim's holder, or when the claim expired, and never over a "d".

KEYS[1] - the alert's key (lq:alert:{<alert id>})
ARGV[1] - the settler's token
ARGV[2] - the outcome, "d" or "x"
ARGV[3] - how long to remember it, in milliseconds
Returns 1 if written, 0 if not.
]]
local current = redis.call('GET', KEYS[1])
if ARGV[2] ~= 'd' and current ~= false and current ~= 'c:' .. ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
