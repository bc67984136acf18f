#!lua name=quota_renew
--[[
quota_renew: extends the slots one process holds in one key's quota (see quota_take). A slot that
already lapsed is not brought back: the process that held it lost it (it stalled past the TTL).

KEYS[1]  the sorted set of one key's slots of one kind
ARGV[1]  TTL in ms
ARGV[2…] the member names of the slots this process holds

Returns  how many of them were still held
]]

local function quota_renew(keys, args)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local ttl = tonumber(args[1])
  local held = 0
  for i = 2, #args do
    local score = redis.call('ZSCORE', keys[1], args[i])
    if score and tonumber(score) > now then
      redis.call('ZADD', keys[1], 'XX', now + ttl, args[i])
      held = held + 1
    end
  end
  if held > 0 then redis.call('PEXPIRE', keys[1], ttl) end
  return held
end

redis.register_function('quota_renew', quota_renew)
