#!lua name=trim_stream
--[[
trim_stream: apply a stream partition's retention without dropping anything a
consumer group has not acknowledged.

KEYS[1]    the stream partition
KEYS[1+i]  the checkpoint hash of detached group i (same slot as the partition)

ARGV[1]    max length to keep (0 = no length limit)
ARGV[2]    oldest entry id to keep by age, "<ms>-0" ('' = no age limit)
ARGV[3]    at most this many entries are examined for the length limit per call
ARGV[4]    the last archived entry id of an archived stream ('' = not archived): nothing after it
           is removed, so nothing goes that is not in the archive (src/archive/archiver.ts)
ARGV[4+i]  the name of detached group i: a failed or long-paused query

Returns  the number of entries removed

Retention wants every entry before `cut` gone; consumer groups need every entry
from their oldest pending one (or, with none pending, the one after their last
delivered id). The trim point is the smaller of the two, so an unacknowledged
entry is never removed, whatever the retention says — except for a detached
group, which does not hold the trim back: the entries it had not read that the
trim removes are recorded as a gap in its checkpoint (gapEntries, exact: at most
ARGV[3] of them go per call; gapUntil, the first entry kept), and its pending
entries below the cut are acknowledged, as they no longer exist.
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
  if args[4] ~= '' and less(successor(args[4]), cut) then cut = successor(args[4]) end

  local detached = {}
  for i = 5, #args do detached[args[i]] = keys[i - 3] end

  local gaps = {}
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
    if detached[name] then
      gaps[#gaps + 1] = { name = name, floor = floor, checkpoint = detached[name] }
    elseif less(floor, cut) then
      cut = floor
    end
  end

  -- At most ARGV[3] unread entries of a detached group go per call, so its count stays exact.
  for _, g in ipairs(gaps) do
    if less(g.floor, cut) then
      local lost = redis.call('XRANGE', key, g.floor, '(' .. cut, 'COUNT', scan_cap)
      if #lost == scan_cap then cut = successor(lost[#lost][1]) end
    end
  end
  for _, g in ipairs(gaps) do
    if less(g.floor, cut) then
      local lost = redis.call('XRANGE', key, g.floor, '(' .. cut, 'COUNT', scan_cap)
      if #lost > 0 then
        redis.call('HINCRBY', g.checkpoint, 'gapEntries', #lost)
        redis.call('HSET', g.checkpoint, 'gapUntil', cut)
      end
      local stale = redis.call('XPENDING', key, g.name, '-', '(' .. cut, scan_cap)
      for _, p in ipairs(stale) do redis.call('XACK', key, g.name, p[1]) end
    end
  end

  return redis.call('XTRIM', key, 'MINID', cut)
end

redis.register_function('trim_stream', trim_stream)
