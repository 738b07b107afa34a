--[[
  Whether a job may run (conversation-order.ts, RedisLines.take): a job
  without a lane when it is first in line, a job in a lane when no job before
  it is in the same lane or has none. A job missing from the line queues up
  again at the tail in the same step, so two such jobs cannot both see an
  empty line.

  Input:
    KEYS[1]  the conversation's line (a list of job ids, head first)
    KEYS[2]  the lanes of the line's jobs that have one (a hash: job id → lane)

    ARGV[1]  the job id
    ARGV[2]  its lane, or '' for none

  Output:
    1 when the job may run, else the id of the first job in its way.
]]
local line = redis.call('LRANGE', KEYS[1], 0, -1)
local job, lane = ARGV[1], ARGV[2]
local at = #line + 1
for i = 1, #line do
  if line[i] == job then
    at = i
    break
  end
end
if at > #line then
  redis.call('RPUSH', KEYS[1], job)
  if lane ~= '' then redis.call('HSET', KEYS[2], job, lane) end
end
for i = 1, at - 1 do
  if lane == '' then return line[i] end
  local other = redis.call('HGET', KEYS[2], line[i])
  if not other or other == lane then return line[i] end
end
return 1
