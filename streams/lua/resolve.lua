--[[ resolve.lua: which lead each signal of a batch belongs to, and which account that lead is in.

Mirror of leadq/identity.py (resolve, account_key). Atomic, so normalizers running on
different inbound partitions never disagree about a lead's id. The requests are resolved
in order, each seeing what the earlier ones wrote: exactly as one call per signal would,
in one call (the per-call cost of a script, ~10 µs, would otherwise dominate).
Note: string order here is Redis's Lua string comparison; leadq starts redis-server with
LC_ALL=C (byte order, as Python's) and production Redis images run in the C locale.

KEYS[1] - hash: identity key (u:/e:/a:<value>) -> lead id        lq:{ids}:index
          ("" when the key is the lead's own id: most keys are, and it saves memory)
KEYS[2] - hash: lead id -> account id                            lq:{ids}:lead-account
KEYS[3] - hash: lead id -> its other identity keys (MessagePack    lq:{ids}:lead-keys
          array; its own id, always one of its keys, is left out, and so is the field
          when that is its only key; read to repoint them when it is absorbed)
(all under the {ids} tag: one slot)

ARGV[1] - MessagePack array of requests, each a map {keys = {...} (most preferred
          first), prev = {...} (alias previous-id keys), acct = explicit account id or "",
          dom = company domain candidate or ""}

Returns a MessagePack array with one reply per request, in order: {lead id or false,
{absorbed lead ids}, account or false, previous account or false, {account of each
absorbed lead or false}, new lead (true when none of the signal's keys named a lead
before: it has no state anywhere yet)}.
Writes: the signal's keys (and known previous keys) point at the lead; absorbed leads'
keys are repointed to it; the lead's account is recorded.
]]

local KIND = {u = 0, e = 1, a = 2}
local function preferred(a, b)
  local ka, kb = KIND[string.sub(a, 1, 1)] or 3, KIND[string.sub(b, 1, 1)] or 3
  if ka ~= kb then return ka < kb end
  return a < b
end

local function resolve(request)
  local keys, prev = request.keys, request.prev
  if #keys == 0 then return {false, {}, false, false, {}, false} end

  -- pointing[k]: the lead key k names now (false: none); writes are skipped where
  -- nothing changes, as they are for almost every signal of a known person.
  local known, seen, pointing = {}, {}, {}
  local function look(k)
    local lead = redis.call('HGET', KEYS[1], k)
    if lead == '' then lead = k end
    pointing[k] = lead
    if lead and not seen[lead] then seen[lead] = true; known[#known + 1] = lead end
    return lead
  end
  local first_known = look(keys[1])
  for i = 2, #keys do look(keys[i]) end
  local prev_known = {}
  for _, k in ipairs(prev) do if look(k) then prev_known[#prev_known + 1] = k end end

  -- The lead's id is its most preferred key ever seen (leadq/identity.py resolve): a new,
  -- more preferred key renames the lead, absorbing the known ones.
  local candidates = {}
  for i, k in ipairs(known) do candidates[i] = k end
  if not first_known then candidates[#candidates + 1] = keys[1] end
  table.sort(candidates, preferred)
  local lead, absorbed = candidates[1], {}
  table.sort(known, preferred)
  for _, k in ipairs(known) do if k ~= lead then absorbed[#absorbed + 1] = k end end

  -- The lead's other keys, loaded on the first change and written once at the end.
  local others, recorded, changed = nil, nil, false
  local function record(k)
    if k == lead then return end
    if others == nil then
      local raw = redis.call('HGET', KEYS[3], lead)
      others, recorded = raw and cmsgpack.unpack(raw) or {}, {}
      for _, o in ipairs(others) do recorded[o] = true end
    end
    if not recorded[k] then recorded[k] = true; others[#others + 1] = k; changed = true end
  end
  local function point(k)
    if pointing[k] == lead then return end
    redis.call('HSET', KEYS[1], k, k == lead and '' or lead)
    record(k)
    pointing[k] = lead
  end

  local absorbed_accounts = {}
  for i, other in ipairs(absorbed) do
    point(other)
    local raw = redis.call('HGET', KEYS[3], other)
    if raw then
      for _, k in ipairs(cmsgpack.unpack(raw)) do point(k) end
      redis.call('HDEL', KEYS[3], other)
    end
    absorbed_accounts[i] = redis.call('HGET', KEYS[2], other) or false
    redis.call('HDEL', KEYS[2], other)
  end
  for _, k in ipairs(keys) do point(k) end
  for _, k in ipairs(prev_known) do point(k) end
  if changed then redis.call('HSET', KEYS[3], lead, cmsgpack.pack(others)) end

  local previous = redis.call('HGET', KEYS[2], lead)
  local current = previous
  if not current then
    for _, a in ipairs(absorbed_accounts) do if a and not current then current = a end end
  end
  local account = current
  if request.acct ~= '' then account = request.acct
  elseif not account and request.dom ~= '' then account = request.dom end
  if account and account ~= previous then redis.call('HSET', KEYS[2], lead, account) end
  return {lead, absorbed, account or false, previous or false, absorbed_accounts, #known == 0}
end

local replies = {}
for i, request in ipairs(cmsgpack.unpack(ARGV[1])) do replies[i] = resolve(request) end
return cmsgpack.pack(replies)
