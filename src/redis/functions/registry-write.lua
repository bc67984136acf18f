#!lua name=registry_write
--[[
registry_write: one change to the query registry and its version counter, atomically, from any
number of gateway processes. `cas` writes only over the exact definition the caller read, so
concurrent read-modify-writes cannot lose each other's change (the caller reads again and retries).

KEYS[1]  the registry hash (query id → definition JSON)
KEYS[2]  the version counter every process polls

ARGV[1]  'put' (create or replace), 'cas' (replace if unchanged) or 'del'
ARGV[2]  query id
ARGV[3]  'cas': the definition JSON as read; otherwise unused
ARGV[4]  'put' and 'cas': the new definition JSON
ARGV[5]  'put': the owning API key's name, or '' (no quota)
ARGV[6]  'put': how many queries that key may own (0: no limit); deleting ones do not count

Returns  1 written · 0 'cas' found another definition (changed since read) · -1 'cas' found none
         · -2 'put' refused: the owner holds its quota of queries
]]

-- Queries the owner holds that are not being deleted. The JSON is matched as text: owner names
-- are plain name characters, and decoding every definition would cost far more.
local function owned(registry, owner)
  local needle = '"ownerKey":"' .. owner .. '"'
  local n = 0
  for _, def in ipairs(redis.call('HVALS', registry)) do
    if string.find(def, needle, 1, true) and not string.find(def, '"status":"deleting"', 1, true) then n = n + 1 end
  end
  return n
end

local function registry_write(keys, args)
  local mode, id = args[1], args[2]
  if mode == 'cas' then
    local current = redis.call('HGET', keys[1], id)
    if not current then return -1 end
    if current ~= args[3] then return 0 end
  end
  if mode == 'put' and args[5] ~= '' and tonumber(args[6]) > 0 and owned(keys[1], args[5]) >= tonumber(args[6]) then
    return -2
  end
  if mode == 'del' then
    redis.call('HDEL', keys[1], id)
  else
    redis.call('HSET', keys[1], id, args[4])
  end
  redis.call('INCR', keys[2])
  return 1
end

redis.register_function('registry_write', registry_write)
