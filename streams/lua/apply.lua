--[[ apply.lua: apply runs of prepared signals to leads and accounts of ONE bucket, atomically.

The fast path of the engine: a line-by-line mirror of leadq/engine.py, intent.py,
stages.py, decay.py, explain.py (the Python engine is the specification; a parity test
compares both on hypothesis-generated sequences). Python does what needs the rules'
conditions (matching, fit, answers, persona) and passes the results in; this script does
all the state arithmetic, stage evaluation and bookkeeping in one atomic call.

A run is a lead's consecutive signals (or one timer firing); one call applies every run
of a batch that falls in one bucket, in order, exactly as one call per run would: the
config is decoded once, and an account (or lead) that several runs touch is decoded and
encoded once per call instead of once per run.

KEYS[1] - outbox stream of the bucket, lq:{b017}:outbox
KEYS[2] - due-time sorted set of the bucket, lq:{b017}:due (members L:<lead>, A:<account>)
KEYS[1 + 2i], KEYS[2 + 2i] - run i's lead state (MessagePack blob, e.g.
          lq:{b017}:lead:<lead id>) and account state (or any unused key of the slot)
All share one hash tag, so the call touches a single slot (Redis Cluster safe).

ARGV[1] - engine config (MessagePack map; see streams/engine_config.py)
ARGV[2] - runs (MessagePack array); run i is {lead id or "" when only the account's decay
          is fired or only account facts are recorded, account id or "", account domain
          for a new account or "", fire decay-driven moves due up to this epoch ms first
          or false, events (array of prepared events; see streams/prepare.py; an
          applied event without "pf" has the run's previous one's profile)}

Returns a MessagePack array with one reply per run, {statuses, transitions[, survivor]}:
one status per event ("applied", "duplicate", "replayed", "too_late", "account_only", or
"merged" with the id of the lead that absorbed this one as third element), and {outbox
entry id, record} for every transition, each record also appended to the outbox stream
(field "r") so a relay can publish it at least once even if this caller dies before it
does. Idempotency: the last applied offset per source partition is kept in the lead
("of"); an event at or below it is skipped as "replayed".
]]

local cfg = cmsgpack.unpack(ARGV[1])
local runs = cmsgpack.unpack(ARGV[2])
local pow, floor, ceil, log, abs = math.pow, math.floor, math.ceil, math.log, math.abs
local OUTBOX, DUE = KEYS[1], KEYS[2]

-- ----------------------------------------------------------------- state blobs
-- Decoded once per call; written back once at the end.
local loaded, dirty, order = {}, {}, {}
local function load(key)
  local state = loaded[key]
  if state == nil then
    local raw = redis.call('GET', key)
    state = raw and cmsgpack.unpack(raw) or false
    loaded[key] = state
  end
  return state or nil
end
local function keep(key, state, kind, id)
  loaded[key] = state
  if not dirty[key] then dirty[key] = {kind, id}; order[#order + 1] = key end
end

-- Blob fields that are tables, and stages, left out of a blob while empty or at their
-- defaults (bytes per lead are the budget; loading restores them).
local LEAD_TABLES = {'it', 'cp', 'co', 'tr', 'sn', 'of'}
local ACCOUNT_TABLES = {'it', 'co', 'tr', 'mb'}
local DEFAULT_STAGE = {L = 'known', A = 'unengaged'}
-- Times in a blob are stored relative to its latest event time "lt" (absolute; none: 0):
-- most are within days of it, which MessagePack packs in 3-5 bytes instead of 9.
local function shift(state, kind, by)
  if by == 0 then return end
  for _, term in pairs(state.it) do term[2] = term[2] + by end
  for _, c in ipairs(state.co) do c[5] = c[5] + by end
  for _, trait in pairs(state.tr) do trait[2] = trait[2] + by end
  if state.ss then state.ss = state.ss + by end
  if kind == 'L' then
    for _, buckets in pairs(state.cp) do
      for _, awards in pairs(buckets) do
        for _, award in ipairs(awards) do award[1] = award[1] + by end
      end
    end
    for id, t in pairs(state.sn) do state.sn[id] = t + by end
    if state.le then state.le = state.le + by end
  else
    for _, member in pairs(state.mb) do if member[2] then member[2] = member[2] + by end end
  end
end

local function compact(state, kind)
  for _, field in ipairs(kind == 'L' and LEAD_TABLES or ACCOUNT_TABLES) do
    if next(state[field]) == nil then state[field] = nil end
  end
  if state.st == DEFAULT_STAGE[kind] then state.st = nil end
  if kind == 'L' and state.ps == 'none' then state.ps = nil end
  return state
end

-- The current run's entities (every function below reads these).
local lead, account, lead_id, account_id, account_domain, transitions

-- ----------------------------------------------------------------- decay (decay.py)
local function half_life(category) return cfg.hl[category] or cfg.hl['default'] end
local function value_at(term, t) return term[1] * pow(2.0, -(t - term[2]) / term[3]) end

local function add_points(terms, category, points, t)
  local term = terms[category]
  if term == nil then term = {0.0, t, half_life(category)} end
  if t >= term[2] then
    terms[category] = {value_at(term, t) + points, t, term[3]}
  else
    terms[category] = {term[1] + points * pow(2.0, -(term[2] - t) / term[3]), term[2], term[3]}
  end
end

local function sorted_keys(tbl)
  local keys = {}
  for k in pairs(tbl) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

local function contains(list, value)
  if list == nil then return false end
  for _, v in ipairs(list) do if v == value then return true end end
  return false
end

local function category_terms(terms, categories)
  local out = {}
  for _, c in ipairs(sorted_keys(terms)) do
    if categories == nil or #categories == 0 or contains(categories, c) then
      out[#out + 1] = terms[c]
    end
  end
  return out
end

local function total_at(terms, t, base)
  local total = 0.0
  for _, term in ipairs(terms) do total = total + value_at(term, t) end
  return base + total
end

local function intent_total(terms, t, categories)
  return total_at(category_terms(terms, categories), t, 0.0)
end

local function bisect(terms, base, threshold, low, high)
  while high - low > 1 do
    local middle = floor((low + high) / 2)
    if total_at(terms, middle, base) < threshold then high = middle else low = middle end
  end
  return high
end

local function falls_below_at(terms, base, threshold, after)
  local low = after + 1
  if total_at(terms, low, base) < threshold then return low end
  local positive, has_negative, min_half = {}, false, nil
  for _, term in ipairs(terms) do
    if term[1] > 0 then positive[#positive + 1] = term end
    if term[1] < 0 then has_negative = true end
    if min_half == nil or term[3] < min_half then min_half = term[3] end
  end
  if base >= threshold or #positive == 0 then return nil end
  local share = (threshold - base) / #positive
  local high = nil
  for _, term in ipairs(positive) do
    local bound = term[2] + 1
    if term[1] > share then
      bound = term[2] + ceil(term[3] * (log(term[1] / share) / log(2.0))) + 1
    end
    if high == nil or bound > high then high = bound end
  end
  if has_negative then
    local step = math.max(1, floor(min_half / 4))
    while low + step < high and total_at(terms, low + step, base) >= threshold do
      low = low + step
    end
    high = math.min(high, low + step)
  end
  return bisect(terms, base, threshold, low, high)
end

-- ------------------------------------------------------- explanations (explain.py)
local function weight_at(c, t) return c[4] * pow(2.0, -(t - c[5]) / half_life(c[3])) end

local function rank_before(t)
  return function(a, b)
    local wa, wb = abs(weight_at(a, t)), abs(weight_at(b, t))
    if wa ~= wb then return wa > wb end
    if a[5] ~= b[5] then return a[5] > b[5] end
    if a[2] ~= b[2] then return a[2] < b[2] end
    return a[1] < b[1]
  end
end

-- Same order as rank_before, each weight computed once instead of once per comparison.
local function trim(list, t)
  local n = #list
  if n <= cfg.keep then return end
  local weight, index = {}, {}
  for i, c in ipairs(list) do weight[c] = abs(weight_at(c, t)); index[i] = c end
  table.sort(index, function(a, b)
    local wa, wb = weight[a], weight[b]
    if wa ~= wb then return wa > wb end
    if a[5] ~= b[5] then return a[5] > b[5] end
    if a[2] ~= b[2] then return a[2] < b[2] end
    return a[1] < b[1]
  end)
  for i = 1, cfg.keep do list[i] = index[i] end
  for i = n, cfg.keep + 1, -1 do list[i] = nil end
end

local function top_signals(list, t, owner)
  local ranked = {}
  for i, c in ipairs(list) do ranked[i] = c end
  table.sort(ranked, rank_before(t))
  local out = {}
  for i = 1, math.min(cfg.top, #ranked) do
    local c = ranked[i]
    out[i] = {c[1], c[2], c[3], c[4], c[5], weight_at(c, t), c[6] or owner}
  end
  return out
end

-- ------------------------------------------------------- accounts (transitions.py)
local function engaged_members(acct, t, window)
  local ids = {}
  for id, m in pairs(acct.mb) do
    if m[2] ~= nil and m[2] >= t - window then ids[#ids + 1] = id end
  end
  table.sort(ids)
  return ids
end

local function personas_of(acct, ids)
  local seen, out = {}, {}
  for _, id in ipairs(ids) do
    local p = acct.mb[id][1]
    if not seen[p] then seen[p] = true; out[#out + 1] = p end
  end
  table.sort(out)
  return out
end

local function account_context(acct, t)
  local engaged = engaged_members(acct, t, cfg.window)
  return {account_id, acct.dom or false, acct.st, intent_total(acct.it, t, nil), #engaged,
          personas_of(acct, engaged)}
end

local function by_category(terms, t)
  local out = {}
  for _, c in ipairs(sorted_keys(terms)) do out[c] = value_at(terms[c], t) end
  return out
end

-- A transition record: the fields of schemas.transition.TransitionData, positional.
local transitions = {}
local function emit(entity, entity_id, move, terms, contributions, profile, acct)
  local t = move.at
  local record = {entity, entity_id, move.track, move.from, move.to, move.reason, move.score,
                  move.threshold or false, profile or false, intent_total(terms, t, nil),
                  by_category(terms, t), top_signals(contributions, t, entity_id),
                  move.trigger or false,
                  acct and account_context(acct, t) or false, cfg.version, t}
  local entry_id = redis.call('XADD', OUTBOX, '*', 'r', cmsgpack.pack(record))
  transitions[#transitions + 1] = {entry_id, record}
end

local function emit_lead(move)
  emit('lead', lead_id, move, lead.it, lead.co, lead.pf, account)
end
local function emit_account(move)
  emit('account', account_id, move, account.it, account.co, false, account)
end

-- ----------------------------------------------------------------- stages (stages.py)
local function fmt1(x) return string.format('%.1f', x) end
local function fmtg(x) return string.format('%g', x) end

local function lead_move(track, to, t, reason, score, threshold, trigger)
  local from
  if track == 'lifecycle' then
    from = lead.st; lead.st = to; lead.ss = t
  else
    from = lead.ps; lead.ps = to
  end
  emit_lead({track = track, from = from, to = to, at = t, reason = reason, score = score,
             threshold = threshold, trigger = trigger})
end

local function mql_score(t)
  return (lead.pf.b or 0) + intent_total(lead.it, t, cfg.mql.cats)
end

local function product_moves(t, trigger, decayed)
  local pql = cfg.pql
  if not pql then return false end
  local score = intent_total(lead.it, t, pql.cats)
  if lead.ps ~= 'pql' and score >= pql.enter then
    lead_move('product', 'pql', t, 'product score ' .. fmt1(score) .. ' reached PQL entry '
              .. fmtg(pql.enter), score, pql.enter, trigger)
    return true
  end
  if lead.ps == 'pql' and score < pql.exit then
    local reason = 'product score ' .. fmt1(score) .. ' fell below PQL exit ' .. fmtg(pql.exit)
    if decayed then reason = 'product score decayed below PQL exit ' .. fmtg(pql.exit) end
    lead_move('product', 'pql_lapsed', t, reason, score, pql.exit, trigger)
    return true
  end
  return false
end

local function lead_due()
  if lead.lt == nil or lead.pf == nil then return nil end
  local due = nil
  if lead.st == 'mql' then
    due = falls_below_at(category_terms(lead.it, cfg.mql.cats), lead.pf.b or 0, cfg.mql.exit,
                         lead.lt)
  end
  if cfg.pql and lead.ps == 'pql' then
    local d = falls_below_at(category_terms(lead.it, cfg.pql.cats), 0.0, cfg.pql.exit, lead.lt)
    if d ~= nil and (due == nil or d < due) then due = d end
  end
  return due
end

local function fire_lead_decay(until_ms)
  while true do
    local due = lead_due()
    if due == nil or due > until_ms then return end
    local found = #transitions
    local score = mql_score(due)
    if lead.st == 'mql' and score < cfg.mql.exit then
      lead_move('lifecycle', 'recycled', due, 'score decayed below MQL exit ' ..
                fmtg(cfg.mql.exit), score, cfg.mql.exit, nil)
    end
    product_moves(due, nil, true)
    if #transitions == found then return end
  end
end

local function account_move(to, t, reason, score, threshold, trigger)
  local from = account.st
  account.st = to; account.ss = t
  emit_account({track = 'account', from = from, to = to, at = t, reason = reason,
                score = score, threshold = threshold, trigger = trigger})
end

local function account_due()
  local mqa = cfg.mqa
  if not mqa or account.st ~= 'mqa' or account.lt == nil then return nil end
  return falls_below_at(category_terms(account.it, mqa.cats), 0.0, mqa.exit, account.lt)
end

local function fire_account_decay(until_ms)
  local due = account_due()
  if due == nil or due > until_ms then return end
  local score = intent_total(account.it, due, cfg.mqa.cats)
  account_move('cooling', due, 'account score decayed below MQA exit ' ..
               fmtg(cfg.mqa.exit), score, cfg.mqa.exit, nil)
end

-- Sales' word: disqualify (sticky), recycle (with a cool-down), or accept as SQL.
local function crm_moves(ev, t, score)
  for _, command in ipairs(ev.crm or {}) do
    local reason = 'crm: ' .. ev.name
    if command == 'dq' then
      lead.dq = 'crm'
      if lead.st ~= 'disqualified' then
        lead_move('lifecycle', 'disqualified', t, reason, score, nil, ev.id)
      end
      return
    elseif command == 'recycle' and (lead.st == 'mql' or lead.st == 'sql') then
      lead.cd = true
      lead_move('lifecycle', 'recycled', t, reason, score, nil, ev.id); return
    elseif command == 'accept' and lead.st ~= 'sql' and lead.st ~= 'disqualified' then
      lead_move('lifecycle', 'sql', t, reason, score, nil, ev.id); return
    end
  end
end

local function disqualifier_moves(ev, t, score)
  local reasons = lead.pf.dq or {}
  if #reasons > 0 and lead.st ~= 'disqualified' then
    lead.dq = 'rules'
    lead_move('lifecycle', 'disqualified', t, 'disqualified: ' .. table.concat(ev.dqn, ', '),
              score, nil, ev.id)
  elseif #reasons == 0 and lead.st == 'disqualified' and lead.dq == 'rules' then
    lead.dq = nil
    lead_move('lifecycle', 'known', t, 'no disqualifier matches any more', score, nil, ev.id)
  end
end

local function score_moves(ev, t, score)
  local mql = cfg.mql
  if lead.cd and score < mql.exit then lead.cd = nil end
  -- A recycled lead comes back only with new intent, and after a sales rejection only
  -- once it has cooled below exit (stages.py _score_moves).
  local eligible = lead.st == 'known' or (lead.st == 'recycled' and ev.eng and not lead.cd)
  if eligible and score >= mql.enter and ev.gok and ev.amq then
    lead_move('lifecycle', 'mql', t, 'score ' .. fmt1(score) .. ' reached MQL entry ' ..
              fmtg(mql.enter), score, mql.enter, ev.id)
  elseif lead.st == 'mql' and score < mql.exit then
    lead_move('lifecycle', 'recycled', t, 'score ' .. fmt1(score) .. ' fell below MQL exit '
              .. fmtg(mql.exit), score, mql.exit, ev.id)
  end
  if lead.st == 'mql' and ev.hr and #ev.hr > 0 and ev.asq then
    lead_move('lifecycle', 'sql', t, 'MQL raised a hand: ' .. table.concat(ev.hr, ', '),
              score, nil, ev.id)
  end
end

local function evaluate_account(trigger)
  local mqa = cfg.mqa
  if not mqa or account.lt == nil then return end
  local t = account.lt
  local score = intent_total(account.it, t, mqa.cats)
  if account.st == 'mqa' then
    if score < mqa.exit then
      account_move('cooling', t, 'account score ' .. fmt1(score) .. ' fell below MQA exit ' ..
                   fmtg(mqa.exit), score, mqa.exit, trigger)
    end
    return
  end
  -- Every condition below must hold; the score is the cheap one (members are many).
  if score < mqa.enter then return end
  local engaged = engaged_members(account, t, cfg.window)
  local personas = personas_of(account, engaged)
  local have = {}
  for _, p in ipairs(personas) do have[p] = true end
  for _, p in ipairs(mqa.req) do if not have[p] then return end end
  if score >= mqa.enter and #engaged >= mqa.people and #personas >= mqa.personas then
    account_move('mqa', t, 'account score ' .. fmt1(score) .. ' reached MQA entry ' ..
                 fmtg(mqa.enter) .. ' with ' .. #engaged .. ' engaged people (' ..
                 table.concat(personas, ', ') .. ')', score, mqa.enter, trigger)
  end
end

-- ------------------------------------------------------------ intent (intent.py)
local function award_before(a, b)
  if a[1] ~= b[1] then return a[1] < b[1] end
  if a[2] ~= b[2] then return a[2] < b[2] end
  return a[3] < b[3]
end

local function cap_decision(m, award)
  if m.n == nil then return true, nil end
  local buckets = lead.cp[m.r]
  if buckets == nil then buckets = {}; lead.cp[m.r] = buckets end
  local key = tostring(floor(award[1] / m.w))
  local awarded = buckets[key]
  if awarded == nil then awarded = {}; buckets[key] = awarded end
  if #awarded < m.n then
    awarded[#awarded + 1] = award
    table.sort(awarded, award_before)
    return true, nil
  end
  if award_before(award, awarded[#awarded]) then
    local displaced = table.remove(awarded)
    awarded[#awarded + 1] = award
    table.sort(awarded, award_before)
    return true, displaced
  end
  return false, nil
end

local function forget(list, rule, event_id)
  for i = #list, 1, -1 do
    if list[i][1] == rule and list[i][2] == event_id then table.remove(list, i) end
  end
end

local function credit(m, award, take_back)
  local t, event_id, category = award[1], award[2], award[3]
  local points = take_back and -m.p or m.p
  add_points(lead.it, category, points, t)
  if account then add_points(account.it, category, points, t) end
  if not take_back then
    -- A lead's own contributions leave out its id (the blob is the lead's); an
    -- account's name the lead.
    lead.co[#lead.co + 1] = {m.r, event_id, category, points, t}
    if account then account.co[#account.co + 1] = {m.r, event_id, category, points, t, lead_id} end
  else
    forget(lead.co, m.r, event_id)
    if account then forget(account.co, m.r, event_id) end
  end
end

local function prune_caps(horizon_start)
  for rule, buckets in pairs(lead.cp) do
    local per = cfg.per[rule]
    if per then
      for key in pairs(buckets) do
        if (tonumber(key) + 1) * per <= horizon_start then buckets[key] = nil end
      end
    end
  end
end

-- ---------------------------------------------------------------- apply (engine.py)
local function merge_traits(traits, new, t)
  for name, value in pairs(new or {}) do
    local current = traits[name]
    if current == nil or t >= current[2] then traits[name] = {value, t} end
  end
end

local function remember(ev)
  lead.sn[ev.id] = ev.t
  local newest = math.max(lead.lt or ev.t, ev.t)
  local oldest = newest - cfg.dedupe
  local stale = false
  for _, t in pairs(lead.sn) do if t < oldest then stale = true end end
  if stale then
    for id, t in pairs(lead.sn) do if t < oldest then lead.sn[id] = nil end end
  end
end

-- Due moves of the lead and its account in time order, the account first on a tie
-- (engine.py fire_due), so each explanation sees the other's stage at that moment.
local function fire_due(until_ms)
  while true do
    local lead_at = lead and lead_due() or nil
    local account_at = account and account_due() or nil
    if account_at ~= nil and account_at <= until_ms and (lead_at == nil or account_at <= lead_at) then
      fire_account_decay(account_at)
    elseif lead_at ~= nil and lead_at <= until_ms then
      fire_lead_decay(lead_at)
    else
      return
    end
  end
end

-- The profile of the run's latest event that carried one: an event without "pf" has it,
-- even when that event was skipped (replayed after a rebalance, a duplicate, too late).
local run_pf = nil

local function apply_event(ev)
  if ev.pf then run_pf = ev.pf end
  local src_offset = lead.of[ev.src]
  if ev.off ~= nil and src_offset ~= nil and ev.off <= src_offset then return 'replayed' end
  if ev.off ~= nil then lead.of[ev.src] = ev.off end
  if lead.sn[ev.id] ~= nil then return 'duplicate' end
  local t = ev.t
  fire_due(t)
  if lead.lt ~= nil and t < lead.lt - cfg.horizon then
    remember(ev)
    return 'too_late'
  end
  remember(ev)
  -- a sales cool-down ends once the score has decayed below exit (stages.py cool_down)
  if lead.cd and lead.pf and mql_score(math.max(lead.lt or t, t)) < cfg.mql.exit then
    lead.cd = nil
  end
  -- facts
  if ev.em then lead.em = ev.em end
  if ev.grp and account then
    merge_traits(account.tr, ev.atr, t)
    if account.dom == nil then account.dom = ev.adom end
  end
  merge_traits(lead.tr, ev.ltr, t)
  lead.lt = math.max(lead.lt or t, t)
  if account then
    lead.ac = account_id
    account.lt = math.max(account.lt or t, t)
    if account.mb[lead_id] == nil then account.mb[lead_id] = {cfg.persona} end
  end
  -- intent
  for _, m in ipairs(ev.m or {}) do
    local award = {t, ev.id, m.c}
    local scored, displaced = cap_decision(m, award)
    if scored then
      credit(m, award, false)
      if displaced then credit(m, displaced, true) end
    end
  end
  -- refresh
  lead.pf = ev.pf or run_pf or lead.pf  -- left out when it is the run's previous event's
  local newest = lead.lt
  if ev.eng then lead.le = math.max(lead.le or t, t) end
  trim(lead.co, newest)
  prune_caps(newest - cfg.horizon)
  if account then
    local member = account.mb[lead_id]
    member[1] = lead.pf.per
    if ev.eng then member[2] = math.max(member[2] or t, t) end
    trim(account.co, account.lt or newest)
  end
  -- stages, judged at the lead's newest event time
  local score = mql_score(newest)
  if ev.crm then crm_moves(ev, newest, score) end
  disqualifier_moves(ev, newest, score)
  if lead.st ~= 'disqualified' then
    score_moves(ev, newest, score)
    product_moves(newest, ev.id, false)
  end
  if account then evaluate_account(ev.id) end
  return 'applied'
end

-- A group call naming only an account records its firmographics (engine.py
-- _apply_account_only): no lead, no scores, no transitions.
local function apply_account_only(ev)
  merge_traits(account.tr, ev.atr, ev.t)
  if account.dom == nil then account.dom = ev.adom end
  return 'account_only'
end

local function apply_run(lead_key, account_key, run)
  lead_id, account_id, account_domain = run[1], run[2], run[3]
  local fire_until, events = run[4], run[5]
  lead, account, transitions, run_pf = nil, nil, {}, nil
  if lead_id ~= '' then
    lead = load(lead_key) or {}
    -- Merged into another lead (take_for_merge.lua): change nothing, say where it went.
    if lead.mg then
      local statuses = {}
      for i = 1, #events do statuses[i] = 'merged' end
      return {statuses, {}, lead.mg}
    end
    if not dirty[lead_key] then  -- first use in this call: unpacked, not yet expanded
      for _, field in ipairs(LEAD_TABLES) do lead[field] = lead[field] or {} end
      lead.st, lead.ps = lead.st or 'known', lead.ps or 'none'
      shift(lead, 'L', lead.lt or 0)
    end
    keep(lead_key, lead, 'L', lead_id)
  end
  if account_id ~= '' then
    account = load(account_key) or {dom = (account_domain ~= '' and account_domain or nil)}
    if not dirty[account_key] then
      for _, field in ipairs(ACCOUNT_TABLES) do account[field] = account[field] or {} end
      account.st = account.st or 'unengaged'
      account.id = nil  -- older blobs repeated the id their key holds
      shift(account, 'A', account.lt or 0)
    end
    keep(account_key, account, 'A', account_id)
  end
  local statuses = {}
  if fire_until then fire_due(fire_until) end
  for i, ev in ipairs(events) do
    if lead then statuses[i] = apply_event(ev) else statuses[i] = apply_account_only(ev) end
  end
  return {statuses, transitions}
end

local replies = {}
for i, run in ipairs(runs) do replies[i] = apply_run(KEYS[1 + 2 * i], KEYS[2 + 2 * i], run) end

-- ------------------------------------------------------------ persist and schedule
for _, key in ipairs(order) do
  local kind, id = dirty[key][1], dirty[key][2]
  local state = loaded[key]
  local due
  if kind == 'L' then lead = state; due = lead_due() else account = state; due = account_due() end
  if due then redis.call('ZADD', DUE, due, kind .. ':' .. id)
  else redis.call('ZREM', DUE, kind .. ':' .. id) end
  shift(state, kind, -(state.lt or 0))
  redis.call('SET', key, cmsgpack.pack(compact(state, kind)))
end
return cmsgpack.pack(replies)
