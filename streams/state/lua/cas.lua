--[[ cas.lua: set one key only if it still holds what was read (compare-and-set).

The identity index is written one key at a time (its keys live in many slots): a
router that read a key and decided what it should become writes it only if no other
router changed it meanwhile; otherwise it re-reads and decides again.

KEYS[1] - the key (an identity index record, lq:{i042}:k:<identity key>)
ARGV[1] - the value read ("" when the key did not exist)
ARGV[2] - the new value
ARGV[3] - time to live in seconds ("0": none)
Returns 1 if written, 0 if the key held something else (nothing written).
]]
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return 0 end
if ARGV[3] == '0' then
  redis.call('SET', KEYS[1], ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
end
return 1
