#!lua name=archive_mark
--[[
archive_mark: moves one partition's archived high-water id, only for the process that holds the
partition's archive lock, so that a writer that lost its lock (paused past its expiry) cannot mark
a range that the new holder archives again.

KEYS[1]  the partition's archive lock (the holder's token; expires)
KEYS[2]  the partition's archived high-water id (the last entry written to a durable file)

ARGV[1]  'advance' or 'release'
ARGV[2]  the caller's lock token
ARGV[3]  'advance': the new high-water id
ARGV[4]  'advance': the lock's new time to live (ms)

Returns  1 done · 0 the lock is not the caller's (nothing written)
]]

local function archive_mark(keys, args)
  if redis.call('GET', keys[1]) ~= args[2] then return 0 end
  if args[1] == 'release' then
    redis.call('DEL', keys[1])
    return 1
  end
  redis.call('SET', keys[2], args[3])
  redis.call('PEXPIRE', keys[1], args[4])
  return 1
end

redis.register_function('archive_mark', archive_mark)
