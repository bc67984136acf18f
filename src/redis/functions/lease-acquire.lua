#!lua name=lease_acquire
--[[
lease_acquire: take a task's lease when it is free, with a new, higher epoch (the fencing token).

KEYS[1]  the task's lease ("<owner> <epoch>", expires after the TTL)
KEYS[2]  the task's epoch counter (never expires, never decreases)

ARGV[1]  owner (a process id, unique per process start)
ARGV[2]  lease TTL in ms

Returns  the epoch now held by ARGV[1], or 0 when another owner holds the lease
]]

local function lease_acquire(keys, args)
  local current = redis.call('GET', keys[1])
  if current then
    local owner, epoch = string.match(current, '^(%S+) (%d+)$')
    if owner == args[1] then
      redis.call('PEXPIRE', keys[1], args[2])
      return tonumber(epoch)
    end
    return 0
  end
  local epoch = redis.call('INCR', keys[2])
  redis.call('SET', keys[1], args[1] .. ' ' .. epoch, 'PX', args[2])
  return epoch
end

redis.register_function('lease_acquire', lease_acquire)
