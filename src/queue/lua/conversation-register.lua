--[[
  Appends a job to its conversation's line, in its lane, unless its id was
  registered before (conversation-order.ts, RedisLines.register).

  Input:
    KEYS[1]  the conversation's line (a list of job ids, head first)
    KEYS[2]  the job id's registration mark (a string with a TTL)
    KEYS[3]  the lanes of the line's jobs that have one (a hash: job id → lane)

    ARGV[1]  the job id
    ARGV[2]  when it registers, ms since the epoch (the mark's value)
    ARGV[3]  how long the mark lives, ms
    ARGV[4]  its lane, or '' for none (it waits for every job before it)

  Output:
    1 when appended, 0 when the job id was registered before.
]]
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then
  redis.call('RPUSH', KEYS[1], ARGV[1])
  if ARGV[4] ~= '' then redis.call('HSET', KEYS[3], ARGV[1], ARGV[4]) end
  return 1
end
return 0
