#!lua name=reprise_queue_v2

-- Takes the next jobs for a worker in one step: due delayed jobs join their ready queue, then jobs are
-- moved, highest priority first and newest first within one, into the worker's in-flight list, and the
-- worker's heartbeat is stamped. A queue entry whose job no longer waits (finished, cancelled, already
-- taken back) is dropped on the way. Blocking commands cannot run here: workers wait for the
-- projector's announcements on a connection of their own.

local function key(prefix, relative) return prefix .. relative end

local WAITING = { ['"queued"'] = true, ['"scheduled"'] = true, ['"retrying"'] = true }
local MOST_DUE = 1000
local MOST_SKIPPED = 1000

-- How long a claim is remembered: a rebuilt generation may queue a job again whose run a worker took from
-- the generation it replaced before that run's first event was projected; the mark keeps it from
-- running twice. Runs record their start within seconds (`worker.record_start_after_ms`).
local CLAIM_REMEMBERED_SECONDS = 120

-- The queue lives in the current generation of the documents (`control` gives which); the workers'
-- heartbeats, in-flight lists and claim marks live under `control`, above every generation.
local function claim_next(_, args)
  local control, worker, now, ttl, wanted = args[1], args[2], args[3], args[4], tonumber(args[5])
  redis.call('SET', key(control, 'worker:' .. worker .. ':heartbeat'), now, 'EX', ttl)
  redis.call('SADD', key(control, 'workers'), worker)
  local generation = redis.call('GET', key(control, 'generation'))
  if not generation then return { {}, '' } end
  local prefix = control .. 'gen' .. generation .. ':'
  local delayed = key(prefix, 'queue:delayed')
  for _, id in ipairs(redis.call('ZRANGE', delayed, '-inf', now, 'BYSCORE', 'LIMIT', 0, MOST_DUE)) do
    redis.call('ZREM', delayed, id)
    local priority = redis.call('HGET', key(prefix, 'jobfields:' .. id), 'priority')
    if priority then redis.call('LPUSH', key(prefix, 'queue:' .. priority), id) end
  end
  local in_flight = key(control, 'worker:' .. worker .. ':inflight')
  local claimed, skipped = {}, 0
  for priority = 9, 0, -1 do
    local queue = key(prefix, 'queue:' .. priority)
    while #claimed < wanted and skipped < MOST_SKIPPED do
      local id = redis.call('LMOVE', queue, in_flight, 'LEFT', 'LEFT')
      if not id then break end
      local state = redis.call('HMGET', key(prefix, 'jobfields:' .. id), 'status', 'spec', 'attempts', 'snoozedAt')
      -- A snooze gives its attempt back: the time of the last snooze tells the next run's claim apart.
      local run = (state[3] or '0') .. (state[4] and ('@' .. state[4]) or '')
      local fresh = state[1] and WAITING[state[1]] and state[2]
        and redis.call('SET', key(control, 'claimed:' .. id .. '#' .. run), worker,
          'NX', 'EX', CLAIM_REMEMBERED_SECONDS)
      if fresh then
        claimed[#claimed + 1] = state[2]
      else
        redis.call('LPOP', in_flight)
        skipped = skipped + 1
      end
    end
  end
  local next_due = redis.call('ZRANGE', delayed, 0, 0, 'WITHSCORES')
  return { claimed, next_due[2] or '' }
end

redis.register_function{ function_name = 'reprise_claim_next_v2', callback = claim_next, flags = { 'no-cluster' } }
