#!lua name=ingest_events
--[[
ingest_events: append the events of one or more HTTP requests to one stream partition.
Each request is all or nothing; requests in one call are independent of each other
(the gateway groups concurrent requests per partition into one call to save round trips).

KEYS       the stream partition, then the idempotency-record and event-id keys the
           requests reference by index (all carry the partition's hash tag)

ARGV[1]    TTL in ms of idempotency records and event-id dedupe keys
ARGV[2]    backlog limit: refuse a request while XLEN >= this; 0 = none
ARGV[3]    R, the number of requests; then for each request:
             fingerprint ('' = no Idempotency-Key), index into KEYS of its idempotency
             record (0 = none), traceparent of its ingest span ('' = none; every entry
             of the request carries it), N (its number of events), then for each event:
               index into KEYS of its event-id key (0 = none), event time in ms
               ('' = arrival time), event JSON

Returns    for each request: { status, N, id_1 .. id_N } flattened, where status is
             0  written              1  replayed (the first answer to this key)
            -1  refused: backlog     -2  refused: key first used with a different body
           A refused request writes nothing; its N is 0.
]]

local function ingest_events(keys, args)
  local ttl = args[1]
  local limit = tonumber(args[2])
  local requests = tonumber(args[3])

  -- Arrival time is Redis's clock, so it agrees with the entry ids whichever gateway wrote them.
  local now = redis.call('TIME')
  local arrival = tostring(tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000))

  local out = {}
  local pos = 4
  for _ = 1, requests do
    local fingerprint = args[pos]
    local record_key = tonumber(args[pos + 1])
    local traceparent = args[pos + 2]
    local n = tonumber(args[pos + 3])
    local first_event = pos + 4
    pos = first_event + 3 * n

    local status = 0
    local replay = nil
    if record_key > 0 then
      local record = redis.call('GET', keys[record_key])
      if record then
        local first = cjson.decode(record)
        if first.f ~= fingerprint then status = -2 else status = 1; replay = first.ids end
      end
    end
    if status == 0 and limit > 0 and redis.call('XLEN', keys[1]) >= limit then status = -1 end

    out[#out + 1] = status
    if status == 1 then
      out[#out + 1] = #replay
      for _, id in ipairs(replay) do out[#out + 1] = id end
    elseif status < 0 then
      out[#out + 1] = 0
    else
      out[#out + 1] = n
      local ids = {}
      for i = 0, n - 1 do
        local base = first_event + 3 * i
        local dedupe = tonumber(args[base])
        local id = false
        if dedupe > 0 then id = redis.call('GET', keys[dedupe]) end
        if not id then
          local event_time = args[base + 1]
          if event_time == '' then event_time = arrival end
          if traceparent ~= '' then
            id = redis.call('XADD', keys[1], '*', 'e', args[base + 2], 't', event_time, 'a', arrival, 'tp', traceparent)
          else
            id = redis.call('XADD', keys[1], '*', 'e', args[base + 2], 't', event_time, 'a', arrival)
          end
          if dedupe > 0 then redis.call('SET', keys[dedupe], id, 'PX', ttl) end
        end
        ids[#ids + 1] = id
        out[#out + 1] = id
      end
      if record_key > 0 then
        redis.call('SET', keys[record_key], cjson.encode({ f = fingerprint, ids = ids }), 'PX', ttl)
      end
    end
  end
  return out
end

redis.register_function('ingest_events', ingest_events)
