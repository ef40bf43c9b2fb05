--[[ commit.lua: write one bucket's changes atomically, if nothing changed it since it was read.

Python computed every value (the engine exists once, in leadq/); this script only
checks the bucket's version and writes. Every writer of a bucket bumps its version, so
a worker that lost the bucket in a rebalance (or any other writer meanwhile) makes a
stale commit refuse instead of overwriting newer state: the caller re-reads and
recomputes.

KEYS[1] - the bucket's version (integer string; absent means 0)   lq:{b017}:v
KEYS[2] - the bucket's watermark blob                             lq:{b017}:wm
KEYS[3] - the bucket's due-time sorted set                        lq:{b017}:due
KEYS[4] - the bucket's outbox stream                              lq:{b017}:outbox
KEYS[4+i], i = 1..n - blobs to write (leads, tombstones, accounts, kept states)
All keys share the bucket's hash tag: one slot (Redis Cluster safe).

ARGV[1] - the version the changes were computed from
ARGV[2] - the watermark blob to write ("" leaves it)
ARGV[3] - n
ARGV[3+i] - blob i's value ("" deletes it)
ARGV[3+n+i] - blob i's time to live in seconds ("0": none)
then m, followed by m pairs (member, due ms) to set in KEYS[3];
then r, followed by r members to remove from KEYS[3];
then o, followed by o records to append to KEYS[4] (field "r").

Returns false if the version is not ARGV[1] (nothing written), else the outbox entry
ids of the appended records, in order.
]]
local version = redis.call('GET', KEYS[1]) or '0'
if version ~= ARGV[1] then return false end
redis.call('SET', KEYS[1], tostring(tonumber(version) + 1))
if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2]) end

local n = tonumber(ARGV[3])
for i = 1, n do
  local value, ttl = ARGV[3 + i], ARGV[3 + n + i]
  if value == '' then
    redis.call('DEL', KEYS[4 + i])
  elseif ttl == '0' then
    redis.call('SET', KEYS[4 + i], value)
  else
    redis.call('SET', KEYS[4 + i], value, 'EX', ttl)
  end
end

local at = 4 + 2 * n
local m = tonumber(ARGV[at])
for i = 1, m do
  redis.call('ZADD', KEYS[3], ARGV[at + 2 * i], ARGV[at + 2 * i - 1])
end
at = at + 2 * m + 1
local r = tonumber(ARGV[at])
for i = 1, r do redis.call('ZREM', KEYS[3], ARGV[at + i]) end
at = at + r + 1
local o = tonumber(ARGV[at])
local ids = {}
for i = 1, o do ids[i] = redis.call('XADD', KEYS[4], '*', 'r', ARGV[at + i]) end
return ids
