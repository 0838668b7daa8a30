#!lua name=reprise_queue_v1

-- Takes the next jobs for a worker in one step: due delayed jobs join their ready queue, then jobs are
-- moved, highest priority first and newest first within one, into the worker's in-flight list, and the
-- worker's heartbeat is stamped. A queue entry whose job no longer waits (finished, cancelled, already
-- taken back) is dropped on the way. Blocking commands cannot run here: workers wait for the
-- projector's announcements on a connection of their own.

local function key(prefix, relative) return prefix .. relative end

local WAITING = { ['"queued"'] = true, ['"scheduled"'] = true, ['"retrying"'] = true }
local MOST_DUE = 1000
local MOST_SKIPPED = 1000

local function claim_next(_, args)
  local prefix, worker, now, ttl, wanted = args[1], args[2], args[3], args[4], tonumber(args[5])
  local delayed = key(prefix, 'queue:delayed')
  for _, id in ipairs(redis.call('ZRANGE', delayed, '-inf', now, 'BYSCORE', 'LIMIT', 0, MOST_DUE)) do
    redis.call('ZREM', delayed, id)
    local priority = redis.call('HGET', key(prefix, 'jobfields:' .. id), 'priority')
    if priority then redis.call('LPUSH', key(prefix, 'queue:' .. priority), id) end
  end
  redis.call('SET', key(prefix, 'worker:' .. worker .. ':heartbeat'), now, 'EX', ttl)
  redis.call('SADD', key(prefix, 'workers'), worker)
  local in_flight = key(prefix, 'worker:' .. worker .. ':inflight')
  local claimed, skipped = {}, 0
  for priority = 9, 0, -1 do
    local queue = key(prefix, 'queue:' .. priority)
    while #claimed < wanted and skipped < MOST_SKIPPED do
      local id = redis.call('LMOVE', queue, in_flight, 'LEFT', 'LEFT')
      if not id then break end
      local state = redis.call('HMGET', key(prefix, 'jobfields:' .. id), 'status', 'spec')
      if state[1] and WAITING[state[1]] and state[2] then
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

redis.register_function{ function_name = 'reprise_claim_next_v1', callback = claim_next, flags = { 'no-cluster' } }
