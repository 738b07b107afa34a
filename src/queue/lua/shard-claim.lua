--[[
  Takes a shard's lease (redis-shards.ts) when it is free, or already the
  owner's: a gateway restarted in the same place (same host and port) has the
  owner id of the one that died and takes its shards back at once instead of
  waiting for the leases to lapse.

  Input:
    KEYS[1]  the lease (string: the owner, with a PX TTL)
    ARGV[1]  the owner
    ARGV[2]  the TTL, ms

  Output:
    1 when taken, else 0.
]]
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
return 1
