--[[ route.lua: store one routing decision of a team atomically, if nothing changed it since it was read.

Python picked the owner (leadq/routing); this script only checks and writes, all or
nothing: the team's version (every decision bumps it, so a concurrent router that read
the same state is refused and decides again), the transition's processed marker (a
re-delivered transition is refused), the round-robin credit, the rep's count for the
day, owner claims, the SLA case and its deadline, and the decision's CloudEvents in the
team's outbox (published, then removed, by the router; re-published if it died between).

KEYS[1] - the team's version (integer string; absent means 0)     lq:{rt:inbound}:v
KEYS[2] - round-robin credit per rep (hash)                       lq:{rt:inbound}:credit
KEYS[3] - assignments per rep on the team's day (hash)            lq:{rt:inbound}:day:2026-12-07
KEYS[4] - owners (hash; "L:<lead id>" / "A:<account id>" -> rep)   lq:{rt:inbound}:owner
KEYS[5] - the transition's processed marker                       lq:{rt:inbound}:done:<id>
KEYS[6] - SLA deadlines (sorted set: case id -> epoch ms)          lq:{rt:inbound}:sla
KEYS[7] - the SLA case (JSON)                                      lq:{rt:inbound}:case:<id>
KEYS[8] - the outbox (hash: event id -> CloudEvent JSON)           lq:{rt:inbound}:outbox
KEYS[9] - the outbox's write times (sorted set: event id -> ms)    lq:{rt:inbound}:outbox:at
KEYS[10] - the lead's earlier case, superseded by this one          lq:{rt:inbound}:case:<id>
All keys share the team's hash tag: one slot (Redis Cluster safe).

ARGV[1] - the version the decision was computed from
ARGV[2] - the processed marker's time to live in seconds ("0": no marker is checked or set)
ARGV[3] - the case: "set" (ARGV[5] with deadline ARGV[6]), "del", or "keep"
ARGV[4] - the case id (its member in KEYS[6])
ARGV[5] - the case JSON
ARGV[6] - the case deadline, epoch ms
ARGV[7] - the case's time to live in seconds
ARGV[8] - the day counts' time to live in seconds
ARGV[9] - now, epoch ms (outbox write time)
ARGV[10] - the rep whose day count goes up ("" none)
ARGV[11] - the lead's open-case field in KEYS[4] ("C:<lead id>"): set to the case id on
           "set", removed on "del" if it still names this case
ARGV[12] - the id of the lead's earlier case to close (KEYS[10]; "" none)
then c, followed by c pairs (rep id, credit) to set in KEYS[2];
then o, followed by o pairs (owner field, rep id) to set in KEYS[4];
then e, followed by e pairs (event id, CloudEvent JSON) to put in the outbox.

Returns 1 if written, 0 if the version is not ARGV[1], -1 if the transition was
already processed (nothing written in either case).
]]
local version = redis.call('GET', KEYS[1]) or '0'
if version ~= ARGV[1] then return 0 end
if ARGV[2] ~= '0' then
  if redis.call('EXISTS', KEYS[5]) == 1 then return -1 end
  redis.call('SET', KEYS[5], '1', 'EX', ARGV[2])
end
redis.call('SET', KEYS[1], tostring(tonumber(version) + 1))

if ARGV[12] ~= '' and ARGV[12] ~= ARGV[4] then
  redis.call('DEL', KEYS[10])
  redis.call('ZREM', KEYS[6], ARGV[12])
end
if ARGV[3] == 'set' then
  redis.call('SET', KEYS[7], ARGV[5], 'EX', ARGV[7])
  redis.call('ZADD', KEYS[6], ARGV[6], ARGV[4])
  if ARGV[11] ~= '' then redis.call('HSET', KEYS[4], ARGV[11], ARGV[4]) end
elseif ARGV[3] == 'del' then
  redis.call('DEL', KEYS[7])
  redis.call('ZREM', KEYS[6], ARGV[4])
  if ARGV[11] ~= '' and redis.call('HGET', KEYS[4], ARGV[11]) == ARGV[4] then
    redis.call('HDEL', KEYS[4], ARGV[11])
  end
end

if ARGV[10] ~= '' then
  redis.call('HINCRBY', KEYS[3], ARGV[10], 1)
  redis.call('EXPIRE', KEYS[3], ARGV[8])
end

local at = 13
local c = tonumber(ARGV[at])
for i = 1, c do redis.call('HSET', KEYS[2], ARGV[at + 2 * i - 1], ARGV[at + 2 * i]) end
at = at + 2 * c + 1
local o = tonumber(ARGV[at])
for i = 1, o do redis.call('HSET', KEYS[4], ARGV[at + 2 * i - 1], ARGV[at + 2 * i]) end
at = at + 2 * o + 1
local e = tonumber(ARGV[at])
for i = 1, e do
  redis.call('HSET', KEYS[8], ARGV[at + 2 * i - 1], ARGV[at + 2 * i])
  redis.call('ZADD', KEYS[9], ARGV[9], ARGV[at + 2 * i - 1])
end
return 1
