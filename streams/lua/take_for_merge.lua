--[[ take_for_merge.lua: hand a lead's state over to the lead that absorbs it.

Atomically replaces the absorbed lead's blob with a tombstone {mg = survivor, of = its
last applied offset per source partition} and keeps its state in KEYS[2], so from this
moment every apply for it is refused and redirected (apply.lua), and the state survives
a crash until it is folded into the survivor (the store then deletes KEYS[2]).
Idempotent: on a tombstone it only returns the state it kept (false once folded).

KEYS[1] - the absorbed lead's state blob
KEYS[2] - where its state is kept meanwhile (same hash tag)
KEYS[3] - the due-time sorted set of its bucket (same hash tag)
ARGV[1] - survivor lead id
ARGV[2] - time to live of both, seconds
ARGV[3] - its member in KEYS[3] (L:<lead id>), removed: a merged lead has no timer
Returns the absorbed lead's state blob, or false if it had none.
]]
redis.call('ZREM', KEYS[3], ARGV[3])
local raw = redis.call('GET', KEYS[1])
local blob = raw and cmsgpack.unpack(raw) or {}
if blob.mg then
  return redis.call('GET', KEYS[2])
end
redis.call('SET', KEYS[1], cmsgpack.pack({mg = ARGV[1], of = blob.of}), 'EX', ARGV[2])
if raw then redis.call('SET', KEYS[2], raw, 'EX', ARGV[2]) end
return raw or false
