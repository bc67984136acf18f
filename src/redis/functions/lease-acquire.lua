#!lua name=lease_acquire
--[[
lease_acquire: take a task's lease when it is free, with a new, higher epoch (the fencing token),
and count takeovers from an owner that died mid-batch (the crash-loop guard).

KEYS[1]  the task's lease ("<owner> <epoch>", expires after the TTL)
KEYS[2]  the task's epoch counter (never expires, never decreases)
KEYS[3]  the task's checkpoint hash: `runner` (the owner while it holds the task; removed by
         lease_release), `takeovers` (removed by every commit_batch) and `applying` (set by the
         runner while it applies entries inherited from a dead owner)
KEYS[4]  the source stream partition

ARGV[1]  owner (a process id, unique per process start)
ARGV[2]  lease TTL in ms
ARGV[3]  consumer group (the query id)

Returns  { epoch now held by ARGV[1] or 0 when another owner holds the lease,
           takeovers in a row without a commit }
]]

local function lease_acquire(keys, args)
  local current = redis.call('GET', keys[1])
  if current then
    local owner, epoch = string.match(current, '^(%S+) (%d+)$')
    if owner == args[1] then
      redis.call('PEXPIRE', keys[1], args[2])
      return { tonumber(epoch), tonumber(redis.call('HGET', keys[3], 'takeovers') or '0') }
    end
    return { 0, 0 }
  end
  local takeovers = tonumber(redis.call('HGET', keys[3], 'takeovers') or '0')
  -- The previous owner neither released the lease nor committed the entries it had read: it died
  -- (or stalled) mid-batch. The first such death is a suspicion (1); each later one counts only if
  -- the owner died while applying those inherited entries (`applying`, set by the runner around
  -- apply), so processes killed for other reasons (deploys, the OOM killer) add up to nothing.
  if redis.call('HEXISTS', keys[3], 'runner') == 1 and redis.call('EXISTS', keys[4]) == 1 then
    local ok, pending = pcall(redis.call, 'XPENDING', keys[4], args[3])
    if ok and tonumber(pending[1]) > 0 then
      if takeovers == 0 or redis.call('HEXISTS', keys[3], 'applying') == 1 then
        takeovers = redis.call('HINCRBY', keys[3], 'takeovers', 1)
      else
        takeovers = 1
        redis.call('HSET', keys[3], 'takeovers', 1)
      end
    end
  end
  redis.call('HDEL', keys[3], 'applying')
  local epoch = redis.call('INCR', keys[2])
  redis.call('SET', keys[1], args[1] .. ' ' .. epoch, 'PX', args[2])
  redis.call('HSET', keys[3], 'runner', args[1])
  return { epoch, takeovers }
end

redis.register_function('lease_acquire', lease_acquire)
