--[[
  Drops the head of a conversation's line only if it is still the given job
  (conversation-order.ts, RedisLines.dropHead).

  Input:
    KEYS[1]  the conversation's line (a list of job ids, head first)

    ARGV[1]  the job id found at the head

  Output:
    0
]]
if redis.call('LINDEX', KEYS[1], 0) == ARGV[1] then
  redis.call('LPOP', KEYS[1])
end
return 0
