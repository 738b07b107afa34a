--[[
  How long until a bucket has a point for a first-priority take, without
  taking one or trimming the log: budget-take.lua's count and wait for one
  bucket (rate-budget.ts, RedisBudget.wouldWait).

  Input:
    KEYS[1]  the bucket's log (sorted set of tickets scored by ms)

    ARGV[1]  the bucket's points
    ARGV[2]  its window, ms

  Output:
    0 when the bucket has a point now, else the ms until it has one.
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local allowed = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local expired = redis.call('ZCOUNT', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1]) - expired
if count < allowed then return 0 end
if count == 0 then return window end
local index = expired + math.min(count - 1, math.max(0, count - allowed))
local entry = redis.call('ZRANGE', KEYS[1], index, index, 'WITHSCORES')
local at = tonumber(entry[2])
-- A point still in flight counts for a window from its answer, still to come.
if at > now then return window end
return math.max(1, at + window - now)
