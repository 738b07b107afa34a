--[[
  Takes a point from every bucket of a budget take, or says how long to wait
  (rate-budget.ts, RedisBudget.tryTake). A sliding log per bucket: no window
  of a bucket's length, wherever it starts, holds more than its points.

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
    ARGV[4+b*2]    bucket b: the points this priority may use
    ARGV[5+b*2]    bucket b: its window, ms

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
  local allowed = tonumber(ARGV[4 + b * 2])
  local window = tonumber(ARGV[5 + b * 2])
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
      ms = tonumber(entry[2]) + window - now
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
for b = 0, buckets - 1 do
  redis.call('ZADD', KEYS[b * 4 + 1], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[b * 4 + 1], tonumber(ARGV[5 + b * 2]))
end
return 0
