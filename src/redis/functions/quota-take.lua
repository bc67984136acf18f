#!lua name=quota_take
--[[
quota_take: takes one slot of a per-key quota (live subscriptions, connections) shared by every
gateway process, when one is free. A slot is a member of a sorted set scored by its expiry in
Redis server time: the process holding it renews it (quota_renew), so the slots of a process that
died lapse after the TTL instead of being held forever.

KEYS[1]  the sorted set of one key's slots of one kind
ARGV[1]  the new slot's member name (process id and a counter: unique)
ARGV[2]  the quota (slots allowed at once)
ARGV[3]  TTL in ms

Returns  1 taken · 0 every slot is held
]]

local function quota_take(keys, args)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local ttl = tonumber(args[3])
  redis.call('ZREMRANGEBYSCORE', keys[1], '-inf', now)
  if redis.call('ZCARD', keys[1]) >= tonumber(args[2]) then return 0 end
  redis.call('ZADD', keys[1], now + ttl, args[1])
  redis.call('PEXPIRE', keys[1], ttl)
  return 1
end

redis.register_function('quota_take', quota_take)
