--[[
  Whether a job is first in its conversation's line (conversation-order.ts,
  RedisLines.take). A job missing from the line queues up again at the tail
  in the same step, so two such jobs cannot both see an empty line.

  Input:
    KEYS[1]  the conversation's line (a list of job ids, head first)

    ARGV[1]  the job id

  Output:
    1 when it is the job's turn, else the job id at the head.
]]
local head = redis.call('LINDEX', KEYS[1], 0)
if head == ARGV[1] then return 1 end
if not redis.call('LPOS', KEYS[1], ARGV[1]) then
  redis.call('RPUSH', KEYS[1], ARGV[1])
  if not head then return 1 end
end
return head
