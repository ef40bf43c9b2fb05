--[[ route_read.lua: read what one routing decision of a team needs, atomically.

A decision is computed in Python from this snapshot and written by route.lua only if
the team's version is still the one read here; reading everything in one script makes
the snapshot consistent with that version (on a Redis Cluster too, where the commands
of a round trip may otherwise run in any order).

KEYS[1] - the team's version                      lq:{rt:inbound}:v
KEYS[2] - round-robin credit per rep (hash)       lq:{rt:inbound}:credit
KEYS[3] - assignments per rep on the day (hash)   lq:{rt:inbound}:day:2026-12-07
KEYS[4] - owners (hash)                           lq:{rt:inbound}:owner
KEYS[5] - the transition's processed marker       lq:{rt:inbound}:done:<id>
KEYS[6] - the SLA case                            lq:{rt:inbound}:case:<id>
ARGV[1] - the lead's owner field ("L:<lead id>")
ARGV[2] - the account's owner field ("A:<account id>", "" none)
ARGV[3] - the lead's open-case field ("C:<lead id>")

Returns {version, credit (flat field/value list), day counts (flat), lead owner or
false, account owner or false, 1 if processed else 0, case JSON or false, the id of the
lead's open case or false}.
]]
local account = false
if ARGV[2] ~= '' then account = redis.call('HGET', KEYS[4], ARGV[2]) end
return {
  redis.call('GET', KEYS[1]) or '0',
  redis.call('HGETALL', KEYS[2]),
  redis.call('HGETALL', KEYS[3]),
  redis.call('HGET', KEYS[4], ARGV[1]),
  account,
  redis.call('EXISTS', KEYS[5]),
  redis.call('GET', KEYS[6]),
  redis.call('HGET', KEYS[4], ARGV[3]),
}
