#!lua name=lease_renew
--[[
lease_renew: extend a lease, only while it is still this owner's at this epoch.

KEYS[1]  the task's lease
ARGV[1]  owner   ARGV[2]  epoch   ARGV[3]  lease TTL in ms
Returns  1 when renewed, 0 when the lease was lost (expired or taken over)
]]

local function lease_renew(keys, args)
  if redis.call('GET', keys[1]) ~= args[1] .. ' ' .. args[2] then return 0 end
  redis.call('PEXPIRE', keys[1], args[3])
  return 1
end

redis.register_function('lease_renew', lease_renew)
