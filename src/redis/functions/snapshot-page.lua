#!lua name=snapshot_page
--[[
snapshot_page: one page of a task's rows for a live snapshot, read in one atomic step together
with the partition's last change id, so that the page holds exactly "every change up to that id"
for its key range. Snapshots of any size are read page by page this way, never whole.

KEYS[1]  result index (sorted set of row keys)   KEYS[2]  state hash
KEYS[3]  sealed hash                             KEYS[4]  results hash (closed rows)
KEYS[5]  changes stream

ARGV[1]  where the page starts, as ZRANGEBYLEX min: '-' or '(' followed by the last key read
ARGV[2]  row keys per page at most
ARGV[3]  '1' to read the partial states too (emit changes), '0' for closed rows only (emit final)

Returns  { last change id ('0-0' before any), row keys, results, states, sealed } where the last
         three hold one value (or nil) per row key, in the same order
]]

local function snapshot_page(keys, args)
  local last = redis.call('XREVRANGE', keys[5], '+', '-', 'COUNT', 1)
  local id = last[1] and last[1][1] or '0-0'
  local rows = redis.call('ZRANGE', keys[1], args[1], '+', 'BYLEX', 'LIMIT', 0, tonumber(args[2]))
  if #rows == 0 then return { id, rows, {}, {}, {} } end
  local results = redis.call('HMGET', keys[4], unpack(rows))
  if args[3] ~= '1' then return { id, rows, results, {}, {} } end
  return { id, rows, results, redis.call('HMGET', keys[2], unpack(rows)), redis.call('HMGET', keys[3], unpack(rows)) }
end

redis.register_function { function_name = 'snapshot_page', callback = snapshot_page, flags = { 'no-writes' } }
