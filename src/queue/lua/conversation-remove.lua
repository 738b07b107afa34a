--[[
  Removes a job from its conversation's line (conversation-order.ts,
  RedisLines.remove), and says whose turn it is now because it left.

  Input:
    KEYS[1]  the conversation's line (a list of job ids, head first)
    KEYS[2]  the lanes of the line's jobs that have one (a hash: job id → lane)

    ARGV[1]  the job id

  Output:
    the ids of the jobs it was in the way of (all later jobs when it had no
    lane, else the later ones of its lane and those without one) that may
    run now, in line order; all that may run when it was not in the line.
]]
local line = redis.call('LRANGE', KEYS[1], 0, -1)
local job = ARGV[1]
local gone, at = false, 1
for i = 1, #line do
  if line[i] == job then
    gone, at = redis.call('HGET', KEYS[2], job), i
    table.remove(line, i)
    redis.call('LREM', KEYS[1], 1, job)
    break
  end
end
redis.call('HDEL', KEYS[2], job)
local woken, seen = {}, {}
for i = 1, #line do
  local lane = redis.call('HGET', KEYS[2], line[i])
  if not lane then
    -- Nothing after a job without a lane may run before it.
    if i == 1 and i >= at then table.insert(woken, line[i]) end
    break
  end
  if not seen[lane] then
    seen[lane] = true
    if i >= at and (not gone or lane == gone) then table.insert(woken, line[i]) end
  end
end
return woken
