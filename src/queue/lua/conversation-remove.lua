--[[
  Removes a job from its conversation's line (conversation-order.ts,
  RedisLines.remove).

  Input:
    KEYS[1]  the conversation's line (a list of job ids, head first)

    ARGV[1]  the job id

  Output:
    the job id now at the head, or nil when the line is empty.
]]
redis.call('LREM', KEYS[1], 1, ARGV[1])
return redis.call('LINDEX', KEYS[1], 0)
