#!lua name=quota_events
--[[
quota_events: one API key's ingest rate, shared by every gateway process: a token bucket that
refills at the quota's rate up to one second's worth. A request is let in while the bucket is not
empty, and takes all its events (the bucket may go below zero: a large batch is accepted whole and
paid for by the requests after it), so no batch is ever too large to pass.

KEYS[1]  the key's bucket (hash: tokens, at)
ARGV[1]  events in this request
ARGV[2]  quota: events per second

Returns  0 let in · otherwise ms until the bucket is positive again
]]

local function quota_events(keys, args)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local n, rate = tonumber(args[1]), tonumber(args[2])
  local state = redis.call('HMGET', keys[1], 'tokens', 'at')
  local tokens, at = tonumber(state[1]) or rate, tonumber(state[2]) or now
  tokens = math.min(rate, tokens + (now - at) * rate / 1000)
  if tokens <= 0 then
    return math.max(1, math.ceil((1 - tokens) * 1000 / rate))
  end
  tokens = tokens - n
  redis.call('HSET', keys[1], 'tokens', tostring(tokens), 'at', now)
  -- Idle buckets go: a full bucket is what a missing one means.
  redis.call('PEXPIRE', keys[1], math.max(1000, math.ceil((rate - tokens) * 1000 / rate)) + 1000)
  return 0
end

redis.register_function('quota_events', quota_events)
