--[[
  One tick of a gateway process's shard leases (shard-leases.ts, redis-shards.ts):
  renews its membership and the leases it still holds, and tells how many
  processes are alive and which shards are free.

  Input:
    KEYS[1]       the members (sorted set of owners scored by expiry, ms)
    KEYS[2..n+1]  the leases of shards 0..n-1 (string: the owner, with a PX TTL)

    ARGV[1]       the owner
    ARGV[2]       the TTL of leases and membership, ms
    ARGV[3..]     the shards whose leases the owner holds

  Output:
    { live members, { renewed shard ids }, { free shard ids } }: free also
    counts a lease of the owner it did not ask to renew (held by the process
    that had its id before, which died: see shard-claim.lua)
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local owner = ARGV[1]
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + ttl, owner)
redis.call('PEXPIRE', KEYS[1], ttl)
local members = redis.call('ZCARD', KEYS[1])
local renewed = {}
for i = 3, #ARGV do
  local key = KEYS[tonumber(ARGV[i]) + 2]
  if key and redis.call('GET', key) == owner then
    redis.call('PEXPIRE', key, ttl)
    renewed[#renewed + 1] = tonumber(ARGV[i])
  end
end
local free = {}
for i = 2, #KEYS do
  local holder = redis.call('GET', KEYS[i])
  if not holder or holder == owner then free[#free + 1] = i - 2 end
end
return { members, renewed, free }
