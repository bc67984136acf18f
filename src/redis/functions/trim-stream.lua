#!lua name=trim_stream
--[[
trim_stream: apply a stream partition's retention without dropping anything a
consumer group has not acknowledged.

KEYS[1]  the stream partition

ARGV[1]  max length to keep (0 = no length limit)
ARGV[2]  oldest entry id to keep by age, "<ms>-0" ('' = no age limit)
ARGV[3]  at most this many entries are examined for the length limit per call

Returns  the number of entries removed

Retention wants every entry before `cut` gone; consumer groups need every entry
from their oldest pending one (or, with none pending, the one after their last
delivered id). The trim point is the smaller of the two, so an unacknowledged
entry is never removed, whatever the retention says.
]]

local function parse_id(id)
  local dash = string.find(id, '-', 1, true)
  return tonumber(string.sub(id, 1, dash - 1)), tonumber(string.sub(id, dash + 1))
end

local function less(a, b)
  local ams, aseq = parse_id(a)
  local bms, bseq = parse_id(b)
  if ams ~= bms then return ams < bms end
  return aseq < bseq
end

local function successor(id)
  local ms, seq = parse_id(id)
  return string.format('%.0f-%.0f', ms, seq + 1)
end

local function trim_stream(keys, args)
  local key = keys[1]
  local max_length = tonumber(args[1])
  local max_age_cut = args[2]
  local scan_cap = tonumber(args[3])

  local length = redis.call('XLEN', key)
  if length == 0 then return 0 end

  local cut = nil
  if max_length > 0 and length > max_length then
    local excess = math.min(length - max_length, scan_cap)
    local oldest = redis.call('XRANGE', key, '-', '+', 'COUNT', excess)
    cut = successor(oldest[#oldest][1])
  end
  if max_age_cut ~= '' and (cut == nil or less(cut, max_age_cut)) then
    cut = max_age_cut
  end
  if cut == nil then return 0 end

  local groups = redis.call('XINFO', 'GROUPS', key)
  for _, group in ipairs(groups) do
    local name, pending, last_delivered
    for i = 1, #group, 2 do
      if group[i] == 'name' then name = group[i + 1]
      elseif group[i] == 'pending' then pending = group[i + 1]
      elseif group[i] == 'last-delivered-id' then last_delivered = group[i + 1] end
    end
    local floor
    if pending > 0 then
      floor = redis.call('XPENDING', key, name)[2]
    else
      floor = successor(last_delivered)
    end
    if less(floor, cut) then cut = floor end
  end

  return redis.call('XTRIM', key, 'MINID', cut)
end

redis.register_function('trim_stream', trim_stream)
