--[[
  Takes a point from every bucket of a budget take, or says how long to wait
  (rate-budget.ts, RedisBudget.tryTake). A sliding log per bucket: no window
  of a bucket's length, wherever it starts, holds more than its points.

  A point taken for a call that will be settled is scored in the future (now
  plus the flight hold) until settle moves it to its answer's time: while the
  call is under way the point counts, however long the call takes; a call
  never settled (its worker died) frees it after the hold and a window.

  A lower priority first stands back while a higher one is marked as waiting;
  an update also leaves the points owed to final renders; a higher priority
  that must wait marks its buckets for the length of its wait.

  Input:
    Four keys per bucket b (0-based), in the order of BudgetSignals.keysOf:
    KEYS[b*4+1]  the bucket's log: sorted set of tickets scored by when taken (ms)
    KEYS[b*4+2]  the answers owing it a final render: sorted set scored by expiry (ms)
    KEYS[b*4+3]  the demand mark of first messages (a string with a TTL)
    KEYS[b*4+4]  the demand mark of final renders (a string with a TTL)

    ARGV[1]        the ticket: the log member this point is recorded as
    ARGV[2]        the priority's rank: 0 first, 1 final, 2 update
    ARGV[3]        how long a demand mark outlives its wait, ms
    ARGV[4]        the flight hold, ms: 0 for a call that will not be settled
    ARGV[5+b*2]    bucket b: the points this priority may use
    ARGV[6+b*2]    bucket b: its window, ms

  Output:
    0 when a point was taken from every bucket, else the ms to wait before
    asking again (nothing taken).
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rank = tonumber(ARGV[2])
local buckets = #KEYS / 4
local wait = 0
for b = 0, buckets - 1 do
  for r = 0, rank - 1 do
    local ttl = redis.call('PTTL', KEYS[b * 4 + 3 + r])
    if ttl > wait then wait = ttl end
  end
end
if wait > 0 then return wait end
for b = 0, buckets - 1 do
  local log = KEYS[b * 4 + 1]
  local allowed = tonumber(ARGV[5 + b * 2])
  local window = tonumber(ARGV[6 + b * 2])
  if rank == 2 then
    allowed = allowed - redis.call('ZCOUNT', KEYS[b * 4 + 2], now, '+inf')
  end
  redis.call('ZREMRANGEBYSCORE', log, '-inf', now - window)
  local count = redis.call('ZCARD', log)
  if count >= allowed then
    local ms = window
    if count > 0 then
      -- The entry whose expiry leaves this priority a point (the oldest, when it may use none).
      local index = math.min(count - 1, math.max(0, count - allowed))
      local entry = redis.call('ZRANGE', log, index, index, 'WITHSCORES')
      local at = tonumber(entry[2])
      -- A point still in flight counts for a window from its answer, still to come.
      if at > now then ms = window else ms = at + window - now end
    end
    if ms > wait then wait = ms end
  end
end
if wait > 0 then
  if rank < 2 then
    for b = 0, buckets - 1 do
      redis.call('SET', KEYS[b * 4 + 3 + rank], '1', 'PX', wait + tonumber(ARGV[3]))
    end
  end
  return wait
end
local flight = tonumber(ARGV[4])
for b = 0, buckets - 1 do
  redis.call('ZADD', KEYS[b * 4 + 1], now + flight, ARGV[1])
  redis.call('PEXPIRE', KEYS[b * 4 + 1], tonumber(ARGV[6 + b * 2]) + flight)
end
return 0
