#!lua name=ingest_events
--[[
ingest_events: append one request's events to one stream partition, all or nothing.

KEYS[1]    the stream partition (XADD target)
KEYS[2]    the idempotency record of this request (touched only when ARGV[2] ~= '')
KEYS[3..]  event-id dedupe keys, one per event that carries an `id`

ARGV[1]    TTL in ms of the idempotency record and of the event-id dedupe keys
ARGV[2]    request fingerprint (hash of the events); '' = no Idempotency-Key
ARGV[3]    backlog limit: refuse when XLEN >= this; 0 = none
ARGV[4]    N, the number of events
ARGV[5 + 4*(i-1) .. 8 + 4*(i-1)], for event i:
           index into KEYS of its dedupe key (0 = none), event time in ms ('' = arrival time),
           event JSON, traceparent ('' = none)

Returns    { replayed (0 or 1), id_1, ..., id_N }, ids in request order
Errors     "SG_BACKLOG <length>"      the partition is over its backlog limit
           "SG_IDEMPOTENCY_MISMATCH"  the key was first used with a different body
           Both are raised before the first write, so a refusal writes nothing.
]]

local function ingest_events(keys, args)
  local ttl = args[1]
  local fingerprint = args[2]

  if fingerprint ~= '' then
    local record = redis.call('GET', keys[2])
    if record then
      local first = cjson.decode(record)
      if first.f ~= fingerprint then
        return redis.error_reply('SG_IDEMPOTENCY_MISMATCH')
      end
      local out = { 1 }
      for _, id in ipairs(first.ids) do out[#out + 1] = id end
      return out
    end
  end

  local limit = tonumber(args[3])
  if limit > 0 then
    local length = redis.call('XLEN', keys[1])
    if length >= limit then
      return redis.error_reply('SG_BACKLOG ' .. length)
    end
  end

  -- Arrival time is Redis's clock, so it agrees with the entry ids whichever gateway wrote them.
  local now = redis.call('TIME')
  local arrival = tostring(tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000))

  local n = tonumber(args[4])
  local out = { 0 }
  local ids = {}
  for i = 0, n - 1 do
    local base = 5 + 4 * i
    local dedupe = tonumber(args[base])
    local id = false
    if dedupe > 0 then id = redis.call('GET', keys[dedupe]) end
    if not id then
      local event_time = args[base + 1]
      if event_time == '' then event_time = arrival end
      if args[base + 3] ~= '' then
        id = redis.call('XADD', keys[1], '*', 'e', args[base + 2], 't', event_time, 'a', arrival, 'tp', args[base + 3])
      else
        id = redis.call('XADD', keys[1], '*', 'e', args[base + 2], 't', event_time, 'a', arrival)
      end
      if dedupe > 0 then redis.call('SET', keys[dedupe], id, 'PX', ttl) end
    end
    ids[#ids + 1] = id
    out[#out + 1] = id
  end

  if fingerprint ~= '' then
    redis.call('SET', keys[2], cjson.encode({ f = fingerprint, ids = ids }), 'PX', ttl)
  end
  return out
end

redis.register_function('ingest_events', ingest_events)
