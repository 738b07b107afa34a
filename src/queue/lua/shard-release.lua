--[[
  Deletes a shard's lease if the owner still holds it (redis-shards.ts): a
  lease another process took meanwhile stays.

  Input:
    KEYS[1]  the lease (string: the owner)
    ARGV[1]  the owner

  Output:
    1 when deleted, else 0.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
