#!lua name=lease_release
--[[
lease_release: give a lease up at once (graceful shutdown, rebalancing), only if still held.

KEYS[1]  the task's lease
KEYS[2]  the task's checkpoint hash: `runner` is removed, so the next owner knows this was no crash
ARGV[1]  owner   ARGV[2]  epoch
Returns  1 when released, 0 when it was not held
]]

local function lease_release(keys, args)
  if redis.call('GET', keys[1]) ~= args[1] .. ' ' .. args[2] then return 0 end
  redis.call('DEL', keys[1])
  redis.call('HDEL', keys[2], 'runner')
  return 1
end

redis.register_function('lease_release', lease_release)
