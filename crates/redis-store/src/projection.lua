#!lua name=reprise_projection_v7

-- Applies a batch of the projector's operations together with its checkpoint, once: only when the
-- stored fencing token is the caller's and the stored checkpoint is the one the batch started from.
-- Every check happens before the first write, so a refused batch changes nothing.
--
-- Functions are shared by every prefix on the server: the version in the library's and functions'
-- names moves whenever the operations' encoding changes, so that a projector of the previous release
-- still running (a standby, another deployment) keeps calling the code it speaks to.

local function key(prefix, relative) return prefix .. relative end

-- Where the batch being applied announces job changes: the control prefix when its generation is the
-- one readers read, nil while it is being built (nobody reads it yet) or after it was replaced.
local announce_to = nil

local function announce(channel, message)
  if announce_to then redis.call('PUBLISH', announce_to .. channel, message) end
end

-- Whether the batch being applied gave workers something to look at (a job queued or delayed, a queue
-- resumed or its limits changed): they are told once, at the end of the batch, not once per job.
local work_to_announce = false

-- A stored entry: `score|achievedMicros|achievedAt|member`, then `|total` for a `sum` total beyond
-- ±2^53, which the score shows clamped (and which nothing here needs: a member never holds `|`).
local function parse_entry(text)
  return string.match(text, '^(-?%d+)|(-?%d+)|([^|]*)|([^|]*)')
end

-- How many entries a board's stored document shows.
local TOP = 100

-- Redis commands take their variadic arguments in chunks: Lua's `unpack` has a stack of about 8,000.
local CHUNK = 1000

-- Sends `command target` with `args[first]` to `args[last]`, `step` arguments per item, at most CHUNK
-- items per call.
local function call_chunked(command, target, args, first, last, step)
  local per = CHUNK * step
  for from = first, last, per do
    redis.call(command, target, unpack(args, from, math.min(from + per - 1, last)))
  end
end

-- Sends `MSET` with the key-value pairs of `list`, at most CHUNK pairs per call.
local function mset_chunked(list)
  for from = 1, #list, 2 * CHUNK do
    redis.call('MSET', unpack(list, from, math.min(from + 2 * CHUNK - 1, #list)))
  end
end

-- Records the owners of a batch's new jobs and lists each job in the index of every job and in its
-- owner's (`OWNERS count` at `args[at]`, then `id owner member` per job): one MSET, and one ZADD per
-- index, however many jobs the batch holds.
local function write_owners(prefix, args, at)
  local owners, all, by_owner = {}, {}, {}
  for j = 0, tonumber(args[at + 1]) - 1 do
    local id, owner, member = args[at + 2 + 3 * j], args[at + 3 + 3 * j], args[at + 4 + 3 * j]
    owners[#owners + 1], owners[#owners + 2] = key(prefix, 'jobowner:' .. id), owner
    all[#all + 1], all[#all + 2] = 0, member
    local listed = by_owner[owner]
    if not listed then
      listed = {}
      by_owner[owner] = listed
    end
    listed[#listed + 1], listed[#listed + 2] = 0, member
  end
  mset_chunked(owners)
  call_chunked('ZADD', key(prefix, 'jobs:all'), all, 1, #all, 2)
  for owner, listed in pairs(by_owner) do
    call_chunked('ZADD', key(prefix, 'jobs:of:' .. owner), listed, 1, #listed, 2)
  end
end

-- Writes a board's share of a batch, which the projector decided from what the board stores (`BOARD`
-- at `args[at]`): members leaving the ranking, members joining it with their rank scores, and the
-- players' entries; one call per command (and chunk), no work per entry here, where Lua costs far more
-- per entry than the commands. Returns whether the top entries changed: whether the best-ranked member
-- leaving was among them before the writes, or the best-ranked joining is after.
local function write_board(prefix, args, at, changed)
  local board = args[at + 1]
  local ranking = key(prefix, 'lb:' .. board)
  local removed, added = tonumber(args[at + 2]), tonumber(args[at + 3])
  local best_removed, best_added = args[at + 4], args[at + 5]
  if not changed and best_removed ~= '' then
    changed = (redis.call('ZRANK', ranking, best_removed) or TOP) < TOP
  end
  local first = at + 6
  if removed > 0 then call_chunked('ZREM', ranking, args, first, first + removed - 1, 1) end
  first = first + removed
  call_chunked('ZADD', ranking, args, first, first + 2 * added - 1, 2)
  first = first + 2 * added
  call_chunked('HSET', key(prefix, 'lbe:' .. board), args, first, first + 2 * added - 1, 2)
  if not changed and best_added ~= '' then
    changed = (redis.call('ZRANK', ranking, best_added) or TOP) < TOP
  end
  return changed
end

-- A board document ends with a tail of fixed width: `<total>,"nextCursor":<cursor>` and spaces, then
-- `}`. When only players below the top joined a board, its entries stand, and the total and cursor
-- move by overwriting the tail in place: the document itself never passes through Lua, whose strings
-- Redis hashes byte by byte (a 9 kB document three times per board per batch was most of the
-- Function's time under steady submissions).
local TAIL_WIDTH = 48

-- `shown` is the rank of the document's last entry: a cursor continues after it while the board holds more.
local function tail(total, shown)
  local next_cursor = 'null'
  if total > shown then next_cursor = '"r' .. shown .. '"' end
  local text = total .. ',"nextCursor":' .. next_cursor
  return text .. string.rep(' ', TAIL_WIDTH - 1 - #text) .. '}'
end

-- Brings a stored document's `total` and `nextCursor` up to date; `false` when there is no document.
local function retotal(prefix, board)
  local doc_key = key(prefix, 'lbdoc:' .. board)
  local length = redis.call('STRLEN', doc_key)
  if length <= TAIL_WIDTH then return false end
  local total = redis.call('ZCARD', key(prefix, 'lb:' .. board))
  redis.call('SETRANGE', doc_key, length - TAIL_WIDTH, tail(total, math.min(total, TOP)))
  return true
end

local function json_text(value)
  if value == nil or value == '' then return 'null' end
  return '"' .. value .. '"'
end

-- One entry of a board's document.
local function entry_row(rank, player, score, at)
  return '{"rank":' .. rank .. ',"player":"' .. player .. '","score":' .. score .. ',"achievedAt":"' .. at .. '"}'
end

-- A board's document around its `rows`: the board's `meta` (game, period, window, region), `now`, and
-- the board's `total` players with the rank of the last entry `shown` (see `tail`).
local function document_of(meta, rows, now, total, shown)
  return '{"game":"' .. meta.game .. '","period":"' .. meta.period ..
    '","window":{"start":' .. json_text(meta.start) .. ',"end":' .. json_text(meta['end']) ..
    '},"region":' .. json_text(meta.region) .. ',"entries":[' .. table.concat(rows, ',') ..
    '],"generatedAt":"' .. now .. '","total":' .. tail(total, shown)
end

-- A board's document, the one renderer of it: `count` entries from rank `first + 1` (best first), the
-- board's `meta` (game, period, window, region) and `now`. The stored top-100 is its first page; the
-- query side asks for any other page through `board_page`, so both are the same bytes.
local function board_document(prefix, board, meta, now, first, count)
  local ranking = key(prefix, 'lb:' .. board)
  local members = redis.call('ZRANGE', ranking, first, first + count - 1)
  local total = redis.call('ZCARD', ranking)
  local rows, players = {}, {}
  for i, m in ipairs(members) do
    players[i] = string.match(m, '^[^:]*:(.*)$')
  end
  if #players > 0 then
    local stored = redis.call('HMGET', key(prefix, 'lbe:' .. board), unpack(players))
    for i, player in ipairs(players) do
      local score, _, at = parse_entry(stored[i])
      rows[i] = entry_row(first + i, player, score, at)
    end
  end
  return document_of(meta, rows, now, total, first + #rows)
end

-- The `players` that have an entry on a board, best first, each with their rank on the whole board:
-- the ranking set's order, which pages count by, so a player's rank is the one every page shows.
-- `{ rank, player, score, at }` each.
local function ranked_players(prefix, board, players)
  local found = {}
  if #players == 0 then return found end
  local ranking = key(prefix, 'lb:' .. board)
  local stored = redis.call('HMGET', key(prefix, 'lbe:' .. board), unpack(players))
  for i, player in ipairs(players) do
    local score, _, at, member
    if stored[i] then score, _, at, member = parse_entry(stored[i]) end
    local rank = member and redis.call('ZRANK', ranking, member)
    if rank then found[#found + 1] = { rank = rank + 1, player = player, score = score, at = at } end
  end
  table.sort(found, function(a, b) return a.rank < b.rank end)
  return found
end

local function render(prefix, board, meta, now)
  local ranking, entries = key(prefix, 'lb:' .. board), key(prefix, 'lbe:' .. board)
  local document = board_document(prefix, board, meta, now, 0, TOP)
  local doc_key, meta_key = key(prefix, 'lbdoc:' .. board), key(prefix, 'lbmeta:' .. board)
  redis.call('SET', doc_key, document)
  redis.call('HSET', meta_key, 'game', meta.game, 'period', meta.period, 'region', meta.region,
    'start', meta.start, 'end', meta['end'], 'expires', meta.expires)
  redis.call('SADD', key(prefix, 'boards:' .. meta.game), board)
  if meta.expires ~= '0' then
    for _, k in ipairs({ ranking, entries, doc_key, meta_key }) do
      redis.call('EXPIREAT', k, meta.expires)
    end
  end
end

-- Lists a board's window (its start date, scored by its start in seconds) in the index of its game's,
-- period's and region's windows; drops the windows that started before the oldest still kept, whose
-- boards have expired or are about to; and keeps the index at least as long as the board, never
-- shortening what a later window's board set.
local function list_window(index, window, start, oldest_kept, kept_until)
  redis.call('ZADD', index, start, window)
  redis.call('ZREMRANGEBYSCORE', index, '-inf', '(' .. oldest_kept)
  redis.call('EXPIREAT', index, kept_until, 'NX')
  redis.call('EXPIREAT', index, kept_until, 'GT')
end

local function refresh(prefix, game, period, region, now)
  local set = key(prefix, 'boards:' .. game)
  for _, board in ipairs(redis.call('SMEMBERS', set)) do
    local fields = redis.call('HGETALL', key(prefix, 'lbmeta:' .. board))
    if #fields == 0 then
      redis.call('SREM', set, board)
    else
      local meta = {}
      for i = 1, #fields, 2 do meta[fields[i]] = fields[i + 1] end
      if (period == '' or meta.period == period) and (region == '' or meta.region == region) then
        render(prefix, board, meta, now)
      end
    end
  end
end

-- A history array (JSON; nil or false for none yet) with `entry` appended.
local function with_entry(history, entry)
  if history then return string.sub(history, 1, -2) .. ',' .. entry .. ']' end
  return '[' .. entry .. ']'
end

-- Applies `patch` (lines of `name<TAB>json`; the name `+history` appends an entry to the history
-- array) to the fields hash, then renders the document from the fields listed in `order` (a field
-- holding null is left out).
local function patch_document(fields, document, order, patch)
  local pairs_to_set = {}
  for name, value in string.gmatch(patch, '([^\t\n]+)\t([^\n]*)\n') do
    if name == '+history' then
      redis.call('HSET', fields, 'history', with_entry(redis.call('HGET', fields, 'history'), value))
    else
      pairs_to_set[#pairs_to_set + 1], pairs_to_set[#pairs_to_set + 2] = name, value
    end
  end
  -- One HSET for the whole patch: a call per field cost most of a job's projection.
  if #pairs_to_set > 0 then redis.call('HSET', fields, unpack(pairs_to_set)) end
  local values = redis.call('HMGET', fields, unpack(order))
  local parts = {}
  for i, name in ipairs(order) do
    local value = values[i]
    if value and value ~= 'null' then parts[#parts + 1] = '"' .. name .. '":' .. value end
  end
  redis.call('SET', document, '{' .. table.concat(parts, ',') .. '}')
end

-- The text inside a JSON string fragment (`"queued"` → `queued`); nil for anything else. Plain strings,
-- which every status, kind and owner is, are read without the JSON decoder.
local function json_string(fragment)
  if not fragment then return nil end
  local plain = string.match(fragment, '^"([^"\\]*)"$')
  if plain then return plain end
  local ok, value = pcall(cjson.decode, fragment)
  if ok and type(value) == 'string' then return value end
  return nil
end

-- What a batch gathers about its jobs to write once, at its end, instead of once per job: the changes
-- of the per-kind status counts, the queued-since index, the runs finished per second, the pushes
-- into each ready queue, the kinds with a ready queue and the queue's sequence; and the kind and
-- priority of each job it wrote, for its queue push. Each `redis.call` costs a few microseconds
-- beyond its command, so a job's projection makes a handful of them; and every string made here is
-- hashed whole, so keys and count fields are made once a batch, not once a job. Counts are kept by
-- kind and status (`counts_all`, and `counts_of` each owner), the ready queues' pushes by kind.
-- Reset by every `apply`.
local tally = nil

local function new_tally()
  return { counts_all = {}, counts_of = {}, queued_add = {}, queued_remove = {}, finished = {}, ready = {},
    kinds = {}, sequence = nil, known_kind = {}, known_priority = {} }
end

local function table_in(map, name)
  local inner = map[name]
  if not inner then
    inner = {}
    map[name] = inner
  end
  return inner
end

-- How many runs finished in each of the last 60 seconds, per kind: slot `second % 60` holds
-- `second:count`. A run older than what its slot holds is a minute late and no longer counted.
local function count_finished_run(kind, millis)
  local second = math.floor((tonumber(millis) or 0) / 1000)
  local seconds = table_in(tally.finished, kind)
  seconds[second] = (seconds[second] or 0) + 1
end

-- Writes the batch's finished runs: per slot, only its latest second can stay (counted on from what the
-- slot holds if that is the same second), as if each run had been counted alone, in any order.
local function write_finished_runs(prefix)
  for kind, seconds in pairs(tally.finished) do
    local latest = {}
    for second in pairs(seconds) do
      local slot = second % 60
      if not latest[slot] or second > latest[slot] then latest[slot] = second end
    end
    local slots = {}
    for slot in pairs(latest) do slots[#slots + 1] = tostring(slot) end
    local runs = key(prefix, 'queue:finished:' .. kind)
    local held = redis.call('HMGET', runs, unpack(slots))
    local to_set = {}
    for i, slot in ipairs(slots) do
      local second = latest[tonumber(slot)]
      local held_second, held_count = string.match(held[i] or '', '^(%d+):(%d+)$')
      held_second, held_count = tonumber(held_second) or 0, tonumber(held_count) or 0
      if held_second == second then
        to_set[#to_set + 1], to_set[#to_set + 2] = slot, second .. ':' .. (held_count + seconds[second])
      elseif held_second < second then
        to_set[#to_set + 1], to_set[#to_set + 2] = slot, second .. ':' .. seconds[second]
      end
    end
    if #to_set > 0 then redis.call('HSET', runs, unpack(to_set)) end
  end
end

local RUN_ENDS = { succeeded = true, failed = true, retrying = true }

-- Counts a job's change of status (every job's, and its owner's), from `counted`, the status counted
-- last (the one the projector's last document of the job shows; none for a new job), to `status`,
-- which it took at `at` (ms). `queue:queued:{kind}` holds the kind's queued jobs by when they became
-- queued (the oldest's age), `queue:finished:{kind}` its runs finished per second. Everything comes
-- from the events' times, so a rebuild counts the same.
local function count_change(counts, kind, counted, status)
  local by_status = table_in(counts, kind)
  if counted then by_status[counted] = (by_status[counted] or 0) - 1 end
  by_status[status] = (by_status[status] or 0) + 1
end

local function count_status(id, kind, owner, counted, status, at)
  count_change(tally.counts_all, kind, counted, status)
  if owner then count_change(table_in(tally.counts_of, owner), kind, counted, status) end
  -- Removals are written before additions: a job may leave and join again within one batch.
  if counted == 'queued' then
    table_in(tally.queued_add, kind)[id] = nil
    table_in(tally.queued_remove, kind)[id] = true
  end
  if status == 'queued' then table_in(tally.queued_add, kind)[id] = at end
  if RUN_ENDS[status] and counted then count_finished_run(kind, at) end
end

-- Adds a batch's changes of counts to the hash of counts `hash` (fields `{kind}|{status}`).
local function write_counts(hash, counts)
  for kind, by_status in pairs(counts) do
    for status, change in pairs(by_status) do
      if change ~= 0 then redis.call('HINCRBY', hash, kind .. '|' .. status, change) end
    end
  end
end

-- Writes what the batch's jobs gathered in `tally` (see there).
local function write_tally(prefix)
  write_counts(prefix .. 'queue:counts:all', tally.counts_all)
  for owner, counts in pairs(tally.counts_of) do write_counts(prefix .. 'queue:counts:of:' .. owner, counts) end
  for kind, ids in pairs(tally.queued_remove) do
    local list = {}
    for id in pairs(ids) do list[#list + 1] = id end
    if #list > 0 then call_chunked('ZREM', key(prefix, 'queue:queued:' .. kind), list, 1, #list, 1) end
  end
  for kind, ids in pairs(tally.queued_add) do
    local list = {}
    for id, at in pairs(ids) do list[#list + 1], list[#list + 2] = at, id end
    if #list > 0 then call_chunked('ZADD', key(prefix, 'queue:queued:' .. kind), list, 1, #list, 2) end
  end
  write_finished_runs(prefix)
  for kind, scores in pairs(tally.ready) do
    local list = {}
    for id, score in pairs(scores) do list[#list + 1], list[#list + 2] = score, id end
    if #list > 0 then call_chunked('ZADD', prefix .. 'queue:ready:' .. kind, list, 1, #list, 2) end
  end
  local kinds = {}
  for kind in pairs(tally.kinds) do kinds[#kinds + 1] = kind end
  if #kinds > 0 then redis.call('SADD', key(prefix, 'queue:kinds'), unpack(kinds)) end
  if tally.sequence then redis.call('SET', key(prefix, 'queue:sequence'), tally.sequence) end
end

-- Writes a job's document as the projector rendered it from the one stored and the event's patch
-- (`JOB` at `args[at]`: id, kind, priority, owner, the status counted before and after with when it
-- changed, the document, then the count of the fields its hash keeps and each one's name and value),
-- those fields, and counts its change of status when it changed: a call for the document and one for
-- the fields, no read.
local function write_job(prefix, args, at)
  local id, kind, priority, owner = args[at + 1], args[at + 2], args[at + 3], args[at + 4]
  local from, to, changed_at, document = args[at + 5], args[at + 6], args[at + 7], args[at + 8]
  local hash_fields = tonumber(args[at + 9])
  if hash_fields > 0 then
    redis.call('HSET', prefix .. 'jobfields:' .. id, unpack(args, at + 10, at + 9 + 2 * hash_fields))
  end
  redis.call('SET', prefix .. 'job:' .. id, document)
  if to ~= '' then
    if owner == '' then owner = nil end
    if from == '' then from = nil end
    count_status(id, kind, owner, from, to, changed_at)
  end
  tally.known_kind[id], tally.known_priority[id] = kind, tonumber(priority) or 5
end

local function split_commas(text)
  local names = {}
  for name in string.gmatch(text, '[^,]+') do names[#names + 1] = name end
  return names
end

-- Each kind has a ready queue of its own, so that a paused or full kind holds back nothing of the
-- others: a sorted set scored priority * 2^48 + a sequence that grows with every push, so workers take
-- the highest score across the kinds they may run: priority 9 first, newest first within a priority.
-- Scores stay below 2^52, where doubles are exact.
local SEQUENCE_SPAN = 281474976710656

-- A job's kind and its priority: as the batch patched them, or as stored.
local function kind_and_priority(prefix, id)
  local kind = tally.known_kind[id]
  if not kind then
    local fields = redis.call('HMGET', prefix .. 'jobfields:' .. id, 'kind', 'priority')
    kind = json_string(fields[1]) or ''
    tally.known_kind[id], tally.known_priority[id] = kind, tonumber(fields[2] or '5') or 5
  end
  return kind, tally.known_priority[id]
end

-- The queue's next sequence number (claims take some too, in calls of their own).
local function next_sequence(prefix)
  if not tally.sequence then
    tally.sequence = tonumber(redis.call('GET', key(prefix, 'queue:sequence')) or '0') or 0
  end
  tally.sequence = tally.sequence + 1
  return tally.sequence
end

-- Pushes job `id` into its kind's ready queue when the batch ends (one ZADD per queue, see `tally`),
-- scored as of now, so that the batch's pushes keep the order of its events.
local function enqueue(prefix, id)
  local kind, priority = kind_and_priority(prefix, id)
  table_in(tally.ready, kind)[id] = priority * SEQUENCE_SPAN + next_sequence(prefix)
  tally.kinds[kind] = true
  work_to_announce = true
end

-- Takes job `id` out of its ready queue, and out of the pushes the batch has yet to write.
local function unqueue(prefix, id)
  local kind = kind_and_priority(prefix, id)
  table_in(tally.ready, kind)[id] = nil
  redis.call('ZREM', prefix .. 'queue:ready:' .. kind, id)
end

-- A kind's settings, as the claim reads them: `paused` (1 or 0), `concurrency` and `rate` (empty for no
-- limit). Resuming or raising a limit lets waiting workers look again.
local function configure_queue(prefix, kind, paused, concurrency, rate)
  redis.call('HSET', key(prefix, 'queue:settings:' .. kind), 'paused', paused, 'concurrency', concurrency,
    'rate', rate)
  redis.call('SADD', key(prefix, 'queue:kinds'), kind)
  work_to_announce = true
end

-- Renders `document` from `head` (a JSON object) with `field` listing the members of `set` in order.
local function with_set(document, head, set, field)
  local text = redis.call('GET', head)
  if not text then return end
  local members = redis.call('SMEMBERS', set)
  table.sort(members)
  for i, name in ipairs(members) do members[i] = cjson.encode(name) end
  local list = '"' .. field .. '":[' .. table.concat(members, ',') .. ']'
  if text == '{}' then
    redis.call('SET', document, '{' .. list .. '}')
  else
    redis.call('SET', document, string.sub(text, 1, -2) .. ',' .. list .. '}')
  end
end

-- How many arguments follow each operation's name; BOARD and the counted operations carry counts.
local ARITY = { SET = 2, SETUNTIL = 3, REVOKE = 1, DEL = 1, HSET = 3, RENDER = 7, WINDOW = 5, REFRESH = 3,
  ENQUEUE = 1, DELAY = 2, UNDELAY = 1, QUEUE = 4, DOC = 4, ZADDLEX = 2, ZADD = 3, ZADDAS = 3, ZREM = 2,
  SADD = 2, SREM = 2, WITHSET = 4, INCR = 4 }

-- Operations whose `at`th argument counts the items that end them: `at` arguments, then `per` each.
local COUNTED = { JOBS = { at = 1, per = 2 }, OWNERS = { at = 1, per = 3 }, JOB = { at = 9, per = 2 } }

local function arity_at(args, i)
  local op = args[i]
  if op == 'BOARD' then
    local removed, added = tonumber(args[i + 2] or ''), tonumber(args[i + 3] or '')
    if removed == nil or added == nil then return nil end
    return 5 + removed + 4 * added
  elseif COUNTED[op] then
    local counted = COUNTED[op]
    local count = tonumber(args[i + counted.at] or '')
    if count == nil then return nil end
    return counted.at + counted.per * count
  end
  return ARITY[op]
end

-- `prefix` is the generation's (`{control}gen{generation}:`), under which every key of the batch lives.
local FIRST_OP = 8

local function apply(keys, args)
  local prefix, control, generation = args[1], args[2], args[3]
  local fence, expected, checkpoint, now = args[4], args[5], args[6], args[7]
  if redis.call('GET', key(prefix, 'projector:fence')) ~= fence then
    return redis.error_reply('FENCED another projector leads')
  end
  local stored = redis.call('GET', key(prefix, 'projector:checkpoint')) or ''
  if stored ~= expected then
    return redis.error_reply('MOVED_ON the checkpoint is ' .. stored)
  end
  local i = FIRST_OP
  while i <= #args do
    local arity = arity_at(args, i)
    if arity == nil or i + arity > #args then
      return redis.error_reply('BADOP at argument ' .. i)
    end
    i = i + arity + 1
  end
  i = FIRST_OP
  announce_to, work_to_announce, tally = nil, false, new_tally()
  if redis.call('GET', key(control, 'generation')) == generation then announce_to = control end
  local top_changed, announced = {}, {}
  while i <= #args do
    local op = args[i]
    if op == 'SET' then
      redis.call('SET', key(prefix, args[i + 1]), args[i + 2])
    elseif op == 'SETUNTIL' then
      redis.call('SET', key(prefix, args[i + 1]), args[i + 2], 'NX', 'EXAT', args[i + 3])
    elseif op == 'REVOKE' then
      local session = key(prefix, args[i + 1])
      if redis.call('TTL', session) > 0 then
        redis.call('SET', session, 'revoked', 'KEEPTTL')
      else
        redis.call('SET', session, 'revoked', 'EX', 604800)
      end
    elseif op == 'DEL' then
      redis.call('DEL', key(prefix, args[i + 1]))
    elseif op == 'HSET' then
      redis.call('HSET', key(prefix, args[i + 1]), args[i + 2], args[i + 3])
    elseif op == 'JOBS' then
      local count, documents = tonumber(args[i + 1]), {}
      for j = 1, count do
        local id = args[i + 2 * j]
        documents[#documents + 1], documents[#documents + 2] = key(prefix, 'job:' .. id), args[i + 2 * j + 1]
        announced[#announced + 1] = id
      end
      mset_chunked(documents)
    elseif op == 'BOARD' then
      top_changed[args[i + 1]] = write_board(prefix, args, i, top_changed[args[i + 1]] or false)
    elseif op == 'RENDER' then
      -- A batch renders a board again only when its top entries changed; otherwise its total moves.
      if top_changed[args[i + 1]] or not retotal(prefix, args[i + 1]) then
        render(prefix, args[i + 1], { game = args[i + 2], period = args[i + 3], region = args[i + 4],
          start = args[i + 5], ['end'] = args[i + 6], expires = args[i + 7] }, now)
      end
    elseif op == 'WINDOW' then
      list_window(key(prefix, args[i + 1]), args[i + 2], args[i + 3], args[i + 4], args[i + 5])
    elseif op == 'REFRESH' then
      refresh(prefix, args[i + 1], args[i + 2], args[i + 3], now)
    elseif op == 'JOB' then
      write_job(prefix, args, i)
      announced[#announced + 1] = args[i + 1]
    elseif op == 'ENQUEUE' then
      enqueue(prefix, args[i + 1])
    elseif op == 'DELAY' then
      redis.call('ZADD', key(prefix, 'queue:delayed'), args[i + 2], args[i + 1])
      work_to_announce = true
    elseif op == 'UNDELAY' then
      redis.call('ZREM', key(prefix, 'queue:delayed'), args[i + 1])
      unqueue(prefix, args[i + 1])
    elseif op == 'QUEUE' then
      configure_queue(prefix, args[i + 1], args[i + 2], args[i + 3], args[i + 4])
    elseif op == 'DOC' then
      patch_document(key(prefix, args[i + 2]), key(prefix, args[i + 1]), split_commas(args[i + 3]), args[i + 4])
    elseif op == 'ZADDLEX' then
      redis.call('ZADD', key(prefix, args[i + 1]), 0, args[i + 2])
    elseif op == 'INCR' then
      local fields = key(prefix, args[i + 2])
      redis.call('HINCRBY', fields, args[i + 4], 1)
      patch_document(fields, key(prefix, args[i + 1]), split_commas(args[i + 3]), '')
    elseif op == 'ZADD' then
      redis.call('ZADD', key(prefix, args[i + 1]), args[i + 2], args[i + 3])
    elseif op == 'ZADDAS' then
      local score = redis.call('ZSCORE', key(prefix, args[i + 1]), args[i + 3])
      if score then redis.call('ZADD', key(prefix, args[i + 2]), score, args[i + 3]) end
    elseif op == 'ZREM' then
      redis.call('ZREM', key(prefix, args[i + 1]), args[i + 2])
    elseif op == 'SADD' then
      redis.call('SADD', key(prefix, args[i + 1]), args[i + 2])
    elseif op == 'SREM' then
      redis.call('SREM', key(prefix, args[i + 1]), args[i + 2])
    elseif op == 'WITHSET' then
      with_set(key(prefix, args[i + 1]), key(prefix, args[i + 2]), key(prefix, args[i + 3]), args[i + 4])
    elseif op == 'OWNERS' then
      write_owners(prefix, args, i)
    end
    i = i + arity_at(args, i) + 1
  end
  -- One announcement per batch: the ids of the jobs whose documents changed, separated by spaces.
  if #announced > 0 then
    announce('jobs:updates', table.concat(announced, ' '))
  end
  if work_to_announce then announce('queue:work', 'batch') end
  write_tally(prefix)
  redis.call('SET', key(prefix, 'projector:checkpoint'), checkpoint)
  return 'OK'
end

-- Makes `token` the projector's fencing token unless a larger one is already stored.
local function claim_fence(keys, args)
  local prefix, token = args[1], args[2]
  local stored = redis.call('GET', key(prefix, 'projector:fence'))
  if stored and tonumber(stored) > tonumber(token) then
    return 0
  end
  redis.call('SET', key(prefix, 'projector:fence'), token)
  return 1
end

-- A page of a board for a read (no writes): `prefix board game period start end region now first count`.
local function board_page(_, args)
  local meta = { game = args[3], period = args[4], start = args[5], ['end'] = args[6], region = args[7] }
  return board_document(args[1], args[2], meta, args[8], tonumber(args[9]), tonumber(args[10]))
end

-- The named players of a board for a read (no writes), as a board document: best first, each with
-- their rank on the whole board, players without an entry left out, the whole board's total and no
-- next page. `prefix board game period start end region now player...`
local function board_players(_, args)
  local prefix, board = args[1], args[2]
  local meta = { game = args[3], period = args[4], start = args[5], ['end'] = args[6], region = args[7] }
  local rows = {}
  for i, found in ipairs(ranked_players(prefix, board, { unpack(args, 9) })) do
    rows[i] = entry_row(found.rank, found.player, found.score, found.at)
  end
  local total = redis.call('ZCARD', key(prefix, 'lb:' .. board))
  return document_of(meta, rows, args[8], total, total)
end

-- A player's standing on a board for a read (no writes): `prefix board player` gives
-- `{ rank, score, achievedAt, total }` as text, or an empty list when the player has no entry.
local function board_standing(_, args)
  local prefix, board = args[1], args[2]
  local found = ranked_players(prefix, board, { args[3] })[1]
  if not found then return {} end
  local total = redis.call('ZCARD', key(prefix, 'lb:' .. board))
  return { tostring(found.rank), found.score, found.at, tostring(total) }
end

-- The generation a rebuild fills: the one being built already, unless `force` (`1`) asks for a new
-- one, which replaces it. `control` gives `generation`, a new number above every earlier one.
local function request_generation(_, args)
  local control, force = args[1], args[2]
  local next = redis.call('GET', key(control, 'generation:next'))
  if next and force ~= '1' then return next end
  local current = tonumber(redis.call('GET', key(control, 'generation')) or '0')
  local number = redis.call('INCR', key(control, 'generation:counter'))
  if number <= current then
    number = current + 1
    redis.call('SET', key(control, 'generation:counter'), number)
  end
  redis.call('SET', key(control, 'generation:next'), number)
  -- Every generation handed out, so that one replaced or abandoned is deleted even if the process that
  -- followed it is gone.
  redis.call('SADD', key(control, 'generation:all'), number)
  return tostring(number)
end

-- Whether checkpoint `a` (`transaction_id:position`) is at or past `b`; anything is past none.
local function checkpoint_at_or_past(a, b)
  local b_transaction, b_position = string.match(b, '^(%d+):(%d+)$')
  if not b_transaction then return true end
  local a_transaction, a_position = string.match(a, '^(%d+):(%d+)$')
  if not a_transaction then return false end
  a_transaction, b_transaction = tonumber(a_transaction), tonumber(b_transaction)
  return a_transaction > b_transaction
    or (a_transaction == b_transaction and tonumber(a_position) >= tonumber(b_position))
end

-- Makes the generation under `prefix`, built to the head of the log, the one readers read: only from
-- its leader (`fence`) and only while it is the generation being built. Returns the replaced one's
-- number, or an empty string when there was none.
local function switch_generation(_, args)
  local control, generation, prefix, fence = args[1], args[2], args[3], args[4]
  if redis.call('GET', key(prefix, 'projector:fence')) ~= fence then
    return redis.error_reply('FENCED another projector leads')
  end
  if redis.call('GET', key(control, 'generation:next')) ~= generation then
    return redis.error_reply('MOVED_ON generation ' .. generation .. ' is no longer the one being built')
  end
  local replaced = redis.call('GET', key(control, 'generation')) or ''
  -- Never behind the generation it replaces: what a service wrote ahead of the projector there (a job's
  -- first document, a session), and what readers read there last, must be here too.
  if replaced ~= '' then
    local theirs = redis.call('GET', control .. 'gen' .. replaced .. ':projector:checkpoint') or ''
    local ours = redis.call('GET', key(prefix, 'projector:checkpoint')) or ''
    if not checkpoint_at_or_past(ours, theirs) then
      return redis.error_reply('BEHIND generation ' .. generation .. ' is at ' .. ours .. ', the current one at ' .. theirs)
    end
  end
  redis.call('SET', key(control, 'generation'), generation)
  redis.call('DEL', key(control, 'generation:next'))
  return replaced
end

-- Writes what a service also writes ahead of the projector (a session's record, a job's first document)
-- in the generation current now: `control command relative value [argument...]`, where `command` is
-- `SET` (its options follow the value), `MSETNX` (relative-value pairs, all or none) or `SETNX`
-- (relative-value pairs, each unless its key is there: many jobs' first documents in one call). Nothing
-- while no generation is complete.
local function write_into(prefix, command, args)
  if command == 'SETNX' then
    for i = 3, #args - 1, 2 do redis.call('SET', key(prefix, args[i]), args[i + 1], 'NX') end
    return 'OK'
  end
  local call = { command }
  for i = 3, #args do call[#call + 1] = args[i] end
  if command == 'SET' then
    call[2] = key(prefix, args[3])
  else
    for i = 2, #call, 2 do call[i] = key(prefix, call[i]) end
  end
  return redis.call(unpack(call))
end

-- Also into the generation being built, if one is: it may become current before its projector has
-- read the event the write stands for.
local function write_current(_, args)
  local control, command = args[1], args[2]
  if command ~= 'SET' and command ~= 'MSETNX' and command ~= 'SETNX' then
    return redis.error_reply('BADOP ' .. command)
  end
  local generation = redis.call('GET', key(control, 'generation'))
  if not generation then return nil end
  local next = redis.call('GET', key(control, 'generation:next'))
  if next then write_into(control .. 'gen' .. next .. ':', command, args) end
  return write_into(control .. 'gen' .. generation .. ':', command, args)
end

redis.register_function{ function_name = 'reprise_apply_v7', callback = apply, flags = { 'no-cluster' } }
redis.register_function{ function_name = 'reprise_claim_fence_v7', callback = claim_fence, flags = { 'no-cluster' } }
redis.register_function{ function_name = 'reprise_board_page_v7', callback = board_page, flags = { 'no-writes', 'no-cluster' } }
redis.register_function{ function_name = 'reprise_board_players_v7', callback = board_players, flags = { 'no-writes', 'no-cluster' } }
redis.register_function{ function_name = 'reprise_board_standing_v7', callback = board_standing, flags = { 'no-writes', 'no-cluster' } }
redis.register_function{ function_name = 'reprise_request_generation_v7', callback = request_generation, flags = { 'no-cluster' } }
redis.register_function{ function_name = 'reprise_switch_generation_v7', callback = switch_generation, flags = { 'no-cluster' } }
redis.register_function{ function_name = 'reprise_write_current_v7', callback = write_current, flags = { 'no-cluster' } }
