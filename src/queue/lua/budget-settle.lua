--[[
  Moves a settled point to now, in every log that still holds it, and keeps
  the log for at least a window from now (rate-budget.ts, RedisBudget.settle):
  the call it was taken for has been answered. (A log holding points still in
  flight keeps its longer expiry.)

  Input:
    KEYS[i]    the buckets' logs (sorted sets of tickets scored by ms)

    ARGV[1]    the ticket
    ARGV[i+1]  the window of KEYS[i], ms

  Output:
    0
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i, log in ipairs(KEYS) do
  if redis.call('ZSCORE', log, ARGV[1]) then
    redis.call('ZADD', log, now, ARGV[1])
    local window = tonumber(ARGV[i + 1])
    if redis.call('PTTL', log) < window then redis.call('PEXPIRE', log, window) end
  end
end
return 0
