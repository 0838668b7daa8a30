#!lua name=reprise_queue_v6

-- Takes the next jobs for a worker in one step: due delayed jobs join their kind's ready queue, then
-- jobs are moved, highest priority first and newest first within one, across the kinds whose queue
-- lets another run start, into the worker's in-flight set, and the worker's heartbeat is stamped. A
-- queue entry whose job no longer waits (finished, cancelled, already taken back) is dropped on the way.
-- Blocking commands cannot run here: workers wait for the projector's announcements on a connection of
-- their own.

local function key(prefix, relative) return prefix .. relative end

-- Sends `command target` with `list[first]` to `list[last]`, `step` arguments per item (1 if not
-- given), at most CHUNK items a call: Lua's `unpack` has a stack of about 8,000, and a worker may run
-- thousands of jobs at once. (projection.lua has the same helper: libraries cannot share code.)
local CHUNK = 1000
local function call_chunked(command, target, list, first, last, step)
  local per = CHUNK * (step or 1)
  for from = first, last, per do
    redis.call(command, target, unpack(list, from, math.min(from + per - 1, last)))
  end
end

local WAITING = { ['"queued"'] = true, ['"scheduled"'] = true, ['"retrying"'] = true }
local MOST_DUE = 1000
local MOST_SKIPPED = 1000
-- Scores are priority * 2^48 + a sequence (projection.lua's `enqueue`).
local SEQUENCE_SPAN = 281474976710656

-- How long a claim is remembered: a rebuilt generation may queue a job again whose run a worker took from
-- the generation it replaced before that run's first event was projected; the mark keeps it from
-- running twice. Runs record their start within seconds (`worker.record_start_after_ms`).
local CLAIM_REMEMBERED_SECONDS = 120

-- A start rate is kept as a GCRA: `rate:{kind}` holds the theoretical time of the next start (ms), a
-- start is allowed while that time is at most this far ahead, and each start moves it one interval on.
-- The tolerance lets two workers that wake a little late keep the rate; it allows a burst of
-- 1 + floor(tolerance / interval) starts after an idle spell.
local RATE_TOLERANCE_MS = 100

local function kind_of(fragment)
  if not fragment then return '' end
  local ok, kind = pcall(cjson.decode, fragment)
  if ok and type(kind) == 'string' then return kind end
  return ''
end

local function join_ready_queues(prefix, now)
  local delayed = key(prefix, 'queue:delayed')
  for _, id in ipairs(redis.call('ZRANGE', delayed, '-inf', now, 'BYSCORE', 'LIMIT', 0, MOST_DUE)) do
    redis.call('ZREM', delayed, id)
    local fields = redis.call('HMGET', key(prefix, 'jobfields:' .. id), 'kind', 'priority')
    if fields[2] then
      local kind = kind_of(fields[1])
      local sequence = redis.call('INCR', key(prefix, 'queue:sequence'))
      redis.call('ZADD', key(prefix, 'queue:ready:' .. kind), tonumber(fields[2]) * SEQUENCE_SPAN + sequence, id)
      redis.call('SADD', key(prefix, 'queue:kinds'), kind)
    end
  end
end

-- One kind's share of a claim: its ready jobs in order, and how many more may start now.
local function lane_of(control, prefix, kind, wanted)
  local settings = redis.call('HMGET', key(prefix, 'queue:settings:' .. kind), 'paused', 'concurrency', 'rate')
  if settings[1] == '1' then return nil end
  -- `taken`: ids the claim went past, to leave the queue; `claimed`: ids it took, to go in flight.
  local lane = { kind = kind, queue = key(prefix, 'queue:ready:' .. kind), free = wanted, taken = {},
    claimed = {} }
  local cap = tonumber(settings[2] or '')
  if cap then lane.free = math.min(wanted, cap - redis.call('SCARD', key(control, 'running:' .. kind))) end
  local rate = tonumber(settings[3] or '')
  if rate and rate > 0 then
    lane.interval = 1000 / rate
    lane.tat = tonumber(redis.call('GET', key(control, 'rate:' .. kind)) or '0') or 0
  end
  if lane.free <= 0 then return nil end
  return lane
end

-- Takes the jobs the claim went past out of the lane's queue, in one call.
local function take_out(lane)
  if #lane.taken > 0 then
    call_chunked('ZREM', lane.queue, lane.taken, 1, #lane.taken)
    lane.taken = {}
  end
end

-- The lane's next job (id, score), reading another page once the one read is used up (the jobs taken
-- from the page before leave the queue first).
local function head(lane)
  if not lane.items or lane.at > #lane.items then
    if lane.items and #lane.items < 2 * lane.page then return nil end
    take_out(lane)
    lane.page = math.max(lane.free, 1)
    lane.items = redis.call('ZRANGE', lane.queue, 0, lane.page - 1, 'REV', 'WITHSCORES')
    lane.at = 1
    if #lane.items == 0 then return nil end
  end
  return lane.items[lane.at], tonumber(lane.items[lane.at + 1])
end

local function rate_allows(lane, now)
  return not lane.interval or lane.tat <= now + RATE_TOLERANCE_MS
end

-- The queue lives in the current generation of the documents (`control` gives which); the workers'
-- heartbeats, in-flight sets, claim marks, running sets and rates live under `control`, above every
-- generation. Returns the claimed jobs' work orders and when to look again (ms): the earliest delayed
-- job's due time or the next start a rate allows, whichever comes first; empty for neither.
local function claim_next(_, args)
  local control, worker, now, ttl, wanted = args[1], args[2], tonumber(args[3]), args[4], tonumber(args[5])
  redis.call('SET', key(control, 'worker:' .. worker .. ':heartbeat'), args[3], 'EX', ttl)
  redis.call('SADD', key(control, 'workers'), worker)
  local generation = redis.call('GET', key(control, 'generation'))
  if not generation then return { {}, '' } end
  local prefix = control .. 'gen' .. generation .. ':'
  join_ready_queues(prefix, now)
  local lanes = {}
  for _, kind in ipairs(redis.call('SMEMBERS', key(prefix, 'queue:kinds'))) do
    local lane = lane_of(control, prefix, kind, wanted)
    if lane then lanes[#lanes + 1] = lane end
  end
  local in_flight = key(control, 'worker:' .. worker .. ':jobs')
  local claimed, skipped, running_kinds = {}, 0, {}
  while #claimed < wanted and skipped < MOST_SKIPPED do
    local best, best_id, best_score = nil, nil, nil
    for _, lane in ipairs(lanes) do
      if lane.free > 0 and rate_allows(lane, now) then
        local id, score = head(lane)
        if id and (not best_score or score > best_score) then best, best_id, best_score = lane, id, score end
      end
    end
    if not best then break end
    best.at = best.at + 2
    best.taken[#best.taken + 1] = best_id
    local state =
      redis.call('HMGET', prefix .. 'jobfields:' .. best_id, 'status', 'spec', 'attempts', 'snoozedAt')
    -- A snooze gives its attempt back: the time of the last snooze tells the next run's claim apart.
    local run = (state[3] or '0') .. (state[4] and ('@' .. state[4]) or '')
    local fresh = state[1] and WAITING[state[1]] and state[2]
      and redis.call('SET', control .. 'claimed:' .. best_id .. '#' .. run, worker,
        'NX', 'EX', CLAIM_REMEMBERED_SECONDS)
    if fresh then
      best.claimed[#best.claimed + 1] = best_id
      running_kinds[#running_kinds + 1], running_kinds[#running_kinds + 2] = best_id, best.kind
      best.free = best.free - 1
      if best.interval then
        best.tat = math.max(best.tat, now) + best.interval
        best.moved = true
      end
      claimed[#claimed + 1] = state[2]
    else
      skipped = skipped + 1
    end
  end
  for _, lane in ipairs(lanes) do
    take_out(lane)
    if #lane.claimed > 0 then
      call_chunked('SADD', in_flight, lane.claimed, 1, #lane.claimed)
      call_chunked('SADD', key(control, 'running:' .. lane.kind), lane.claimed, 1, #lane.claimed)
    end
  end
  if #running_kinds > 0 then
    call_chunked('HSET', key(control, 'running:kinds'), running_kinds, 1, #running_kinds, 2)
  end
  local look_again = nil
  for _, lane in ipairs(lanes) do
    if lane.moved then
      redis.call('SET', key(control, 'rate:' .. lane.kind), string.format('%.3f', lane.tat),
        'PX', math.ceil(lane.tat - now) + 60000)
    end
    if lane.interval and lane.free > 0 and not rate_allows(lane, now) and head(lane) then
      local allowed = math.ceil(lane.tat - RATE_TOLERANCE_MS)
      if not look_again or allowed < look_again then look_again = allowed end
    end
  end
  local next_due = tonumber(redis.call('ZRANGE', key(prefix, 'queue:delayed'), 0, 0, 'WITHSCORES')[2] or '')
  if next_due and (not look_again or next_due < look_again) then look_again = next_due end
  if look_again then look_again = string.format('%d', look_again) else look_again = '' end
  return { claimed, look_again }
end

-- Takes the jobs named from `args[first]` on out of a worker's in-flight set and frees their kinds'
-- running slots, once their outcomes are recorded (or a cleaner rescued them from a silent worker): a
-- few commands per call, none per job. Tells waiting workers once if a slot under a concurrency cap
-- was freed. Answers how many were in the set.
local function release_all(control, worker, args, first)
  if first > #args then return 0 end
  local in_flight, removed = key(control, 'worker:' .. worker .. ':jobs'), 0
  for from = first, #args, CHUNK do
    removed = removed + redis.call('SREM', in_flight, unpack(args, from, math.min(from + CHUNK - 1, #args)))
  end
  local kinds_key, by_kind = key(control, 'running:kinds'), {}
  for from = first, #args, CHUNK do
    local last = math.min(from + CHUNK - 1, #args)
    local kinds = redis.call('HMGET', kinds_key, unpack(args, from, last))
    for i = from, last do
      local kind = kinds[i - from + 1]
      if kind then
        by_kind[kind] = by_kind[kind] or {}
        table.insert(by_kind[kind], args[i])
      end
    end
  end
  if not next(by_kind) then return removed end
  call_chunked('HDEL', kinds_key, args, first, #args)
  local generation = redis.call('GET', key(control, 'generation'))
  local capped = false
  for kind, freed in pairs(by_kind) do
    call_chunked('SREM', key(control, 'running:' .. kind), freed, 1, #freed)
    local cap = generation
      and redis.call('HGET', control .. 'gen' .. generation .. ':queue:settings:' .. kind, 'concurrency')
    capped = capped or (cap and cap ~= '')
  end
  if capped then redis.call('PUBLISH', key(control, 'queue:work'), 'released') end
  return removed
end

-- A claim that first releases the jobs the worker has finished since its last one (arguments from the
-- sixth on): one call instead of one per job.
local function release_and_claim(keys, args)
  release_all(args[1], args[2], args, 6)
  return claim_next(keys, args)
end

local function release(_, args)
  return release_all(args[1], args[2], args, 3)
end

redis.register_function{ function_name = 'reprise_claim_next_v6', callback = release_and_claim, flags = { 'no-cluster' } }
redis.register_function{ function_name = 'reprise_release_v6', callback = release, flags = { 'no-cluster' } }
