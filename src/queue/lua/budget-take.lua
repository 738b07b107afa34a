--[[
  Takes a point from every bucket of a budget take, or says how long to wait
  (rate-budget.ts, RedisBudget.tryTake). A sliding log per bucket: no window
  of a bucket's length, wherever it starts, holds more than its points.

  A point taken for a call that will be settled is scored in the future (now
  plus the flight hold) until settle moves it to its answer's time: while the
  call is under way the point counts, however long the call takes; a call
  never settled (its worker died) frees it after the hold and a window.

  First messages that must wait queue up in each bucket by when they were
  first refused (a sorted set of their tickets): each is told to come back
  when the point that falls to it frees, the first in line at the next, the
  second at the one after, so they neither all wake for the same point nor
  overtake each other. A waiter that does not come back within the waiter
  lifetime leaves the line.

  A lower priority first stands back while a higher one is marked as waiting;
  an update also leaves the points owed to final renders; a higher priority
  that must wait marks its buckets for the length of its wait.

  Input:
    Five keys per bucket b (0-based), in the order of BudgetSignals.keysOf:
    KEYS[b*5+1]  the bucket's log: sorted set of tickets scored by when taken (ms)
    KEYS[b*5+2]  the answers owing it a final render: sorted set scored by expiry (ms)
    KEYS[b*5+3]  the demand mark of first messages (a string with a TTL)
    KEYS[b*5+4]  the demand mark of final renders (a string with a TTL)
    KEYS[b*5+5]  the first messages waiting: sorted set of tickets scored by first refusal (ms)

    ARGV[1]        the ticket: the log member this point is recorded as
    ARGV[2]        the priority's rank: 0 first, 1 final, 2 update
    ARGV[3]        how long a demand mark outlives its wait, ms
    ARGV[4]        the flight hold, ms: 0 for a call that will not be settled
    ARGV[5]        the waiter lifetime, ms: 0 for a take that does not queue
    ARGV[6+b*2]    bucket b: the points this priority may use
    ARGV[7+b*2]    bucket b: its window, ms

  Output:
    0 when a point was taken from every bucket, else the ms to wait before
    asking again (nothing taken).
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ticket = ARGV[1]
local rank = tonumber(ARGV[2])
local grace = tonumber(ARGV[3])
local flight = tonumber(ARGV[4])
local waiterTtl = tonumber(ARGV[5])
local queues = rank == 0 and waiterTtl > 0
local K = 5
local buckets = #KEYS / K
local wait = 0
for b = 0, buckets - 1 do
  for r = 0, rank - 1 do
    local ttl = redis.call('PTTL', KEYS[b * K + 3 + r])
    if ttl > wait then wait = ttl end
  end
end
if wait > 0 then return wait end
for b = 0, buckets - 1 do
  local log = KEYS[b * K + 1]
  local allowed = tonumber(ARGV[6 + b * 2])
  local window = tonumber(ARGV[7 + b * 2])
  if rank == 2 then
    allowed = allowed - redis.call('ZCOUNT', KEYS[b * K + 2], now, '+inf')
  end
  redis.call('ZREMRANGEBYSCORE', log, '-inf', now - window)
  local count = redis.call('ZCARD', log)
  if count >= allowed then
    local ms = window
    if count > 0 then
      -- The entry whose expiry leaves this priority a point (the oldest, when it may use none).
      local index = math.min(count - 1, math.max(0, count - allowed))
      local rounds = 0
      if queues then
        -- The waiters ahead in line take the points that free before this one's.
        local line = KEYS[b * K + 5]
        redis.call('ZREMRANGEBYSCORE', line, '-inf', now - waiterTtl)
        local ahead = redis.call('ZRANK', line, ticket) or redis.call('ZCARD', line)
        local freeing = count - index
        index = index + ahead % freeing
        rounds = math.floor(ahead / freeing)
      end
      local entry = redis.call('ZRANGE', log, index, index, 'WITHSCORES')
      local at = tonumber(entry[2])
      -- A point still in flight counts for a window from its answer, still to come.
      if at > now then ms = window else ms = at + window - now end
      ms = ms + rounds * window
    end
    if ms > wait then wait = ms end
  end
end
if wait > 0 then
  if rank < 2 then
    for b = 0, buckets - 1 do
      local mark = KEYS[b * K + 3 + rank]
      if redis.call('PTTL', mark) < wait + grace then
        redis.call('SET', mark, '1', 'PX', wait + grace)
      end
    end
  end
  if queues then
    for b = 0, buckets - 1 do
      local line = KEYS[b * K + 5]
      redis.call('ZADD', line, 'NX', now, ticket)
      redis.call('PEXPIRE', line, waiterTtl)
    end
  end
  return wait
end
for b = 0, buckets - 1 do
  redis.call('ZADD', KEYS[b * K + 1], now + flight, ticket)
  redis.call('PEXPIRE', KEYS[b * K + 1], tonumber(ARGV[7 + b * 2]) + flight)
  if queues then redis.call('ZREM', KEYS[b * K + 5], ticket) end
end
return 0
