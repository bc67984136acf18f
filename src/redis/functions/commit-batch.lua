#!lua name=commit_batch
--[[
commit_batch: the one atomic step of a task's batch. Exactly-once rests on it: the fencing
check comes before any write, and state, offset, ack, changes and results move together.

KEYS[1]  the task's lease                  KEYS[2]  checkpoint hash (offset, meta, counters;
                                                    `takeovers` is reset, see lease-acquire.lua)
KEYS[3]  state hash (row key -> state)     KEYS[4]  source stream partition
KEYS[5]  changes stream                    KEYS[6]  results hash (closed rows)
KEYS[7]  results expiry (zset)             KEYS[8]  late-events stream
KEYS[9]  dead-letter stream                KEYS[10] sealed hash (row key -> partial group of a
                                                    window closed for the whole query)
KEYS[11] result index (sorted set, score 0, of every row key in the state, sealed and results
         hashes: reads page and look up by key range without loading the hashes)
KEYS[12] prefix of the groups' values hashes (not a key itself: `<prefix><row key>` is a group's
         hash of large DISTINCT values kept outside its state entry). It carries the partition's
         hash tag, so every hash built from it lies in this commit's slot.

ARGV[1]  owner        ARGV[2]  epoch        ARGV[3]  consumer group (the query id)
ARGV[4]  new offset (last entry id of the batch; '' = unchanged)
ARGV[5]  engine meta  ARGV[6]  entries processed in this batch
ARGV[7]  now (ms)     ARGV[8]  result retention (ms)   ARGV[9]  changes stream max length
ARGV[10] traceparent of the batch's process span ('' = none), stored with each change so the
         push span can link to it
ARGV[11] arrival time (ms) of the batch's newest entry ('' = none): the push stage measures
         end-to-end latency from it
ARGV[12..22]  counts: nSet, nDel, nAck, nChanges, nClosed, nLate, nDead, nSealed, nAdded, nDrop,
         nValues; then, in order: nSet pairs (row key, state) · nDel row keys · nAck entry ids ·
         nChanges change JSONs · nClosed pairs (row key, row JSON) · nLate triples (entry id,
         event JSON, watermark) · nDead triples (entry id, entry JSON, error) · nSealed pairs
         (row key, partial group) · nAdded row keys (of nSet, new to the state) · nDrop row keys
         whose values hash goes · nValues runs of (row key, m, then m (field, value) pairs) added
         to that row key's values hash (drops come first: a new group may reuse a dropped key)

Returns  { last change id or '', number of changes written }
Errors   "FENCED"  the lease is not this owner's at this epoch: nothing is written
]]

local CHUNK = 500

-- HSET of n (field, value) pairs starting at args[pos], CHUNK pairs per call (unpack has a limit).
local function hset_pairs(key, args, pos, n)
  local i = 0
  while i < n do
    local batch = {}
    local upto = math.min(n, i + CHUNK)
    for j = i, upto - 1 do
      batch[#batch + 1] = args[pos + 2 * j]
      batch[#batch + 1] = args[pos + 2 * j + 1]
    end
    redis.call('HSET', key, unpack(batch))
    i = upto
  end
end

local function commit_batch(keys, args)
  if redis.call('GET', keys[1]) ~= args[1] .. ' ' .. args[2] then
    return redis.error_reply('FENCED')
  end

  local group, offset, meta = args[3], args[4], args[5]
  local now, retention, maxlen = tonumber(args[7]), tonumber(args[8]), args[9]
  local traceparent, arrival = args[10], args[11]
  local n_set, n_del, n_ack = tonumber(args[12]), tonumber(args[13]), tonumber(args[14])
  local n_changes, n_closed = tonumber(args[15]), tonumber(args[16])
  local n_late, n_dead, n_sealed = tonumber(args[17]), tonumber(args[18]), tonumber(args[19])
  local n_added, n_drop, n_values = tonumber(args[20]), tonumber(args[21]), tonumber(args[22])
  local pos = 23

  hset_pairs(keys[3], args, pos, n_set)
  pos = pos + 2 * n_set

  local i = 0
  while i < n_del do
    local upto = math.min(n_del, i + CHUNK)
    redis.call('HDEL', keys[3], unpack(args, pos + i, pos + upto - 1))
    redis.call('ZREM', keys[11], unpack(args, pos + i, pos + upto - 1))
    i = upto
  end
  pos = pos + n_del

  i = 0
  while i < n_ack do
    local upto = math.min(n_ack, i + CHUNK)
    redis.call('XACK', keys[4], group, unpack(args, pos + i, pos + upto - 1))
    i = upto
  end
  pos = pos + n_ack

  local last_change = ''
  for j = 0, n_changes - 1 do
    local fields = { 'c', args[pos + j] }
    if traceparent ~= '' then fields[#fields + 1] = 'tp'; fields[#fields + 1] = traceparent end
    if arrival ~= '' then fields[#fields + 1] = 'a'; fields[#fields + 1] = arrival end
    last_change = redis.call('XADD', keys[5], 'MAXLEN', '~', maxlen, '*', unpack(fields))
  end
  pos = pos + n_changes

  for j = 0, n_closed - 1 do
    local key = args[pos + 2 * j]
    redis.call('HSET', keys[6], key, args[pos + 2 * j + 1])
    redis.call('ZADD', keys[7], now + retention, key)
    redis.call('ZADD', keys[11], 0, key)
  end
  pos = pos + 2 * n_closed
  local expired = redis.call('ZRANGEBYSCORE', keys[7], '-inf', now, 'LIMIT', 0, 1000)
  if #expired > 0 then
    redis.call('HDEL', keys[6], unpack(expired))
    redis.call('ZREM', keys[7], unpack(expired))
    redis.call('ZREM', keys[11], unpack(expired))
  end

  for j = 0, n_late - 1 do
    local b = pos + 3 * j
    redis.call('XADD', keys[8], 'MAXLEN', '~', maxlen, '*', 'id', args[b], 'e', args[b + 1], 'watermark', args[b + 2])
  end
  pos = pos + 3 * n_late

  for j = 0, n_dead - 1 do
    local b = pos + 3 * j
    redis.call('XADD', keys[9], 'MAXLEN', '~', maxlen, '*', 'id', args[b], 'entry', args[b + 1], 'error', args[b + 2])
    redis.call('XACK', keys[4], group, args[b])
  end
  pos = pos + 3 * n_dead

  hset_pairs(keys[10], args, pos, n_sealed)
  for j = 0, n_sealed - 1 do
    redis.call('ZADD', keys[11], 0, args[pos + 2 * j])
  end
  pos = pos + 2 * n_sealed

  i = 0
  while i < n_added do
    local batch = {}
    local upto = math.min(n_added, i + CHUNK)
    for j = i, upto - 1 do
      batch[#batch + 1] = 0
      batch[#batch + 1] = args[pos + j]
    end
    redis.call('ZADD', keys[11], unpack(batch))
    i = upto
  end
  pos = pos + n_added

  for j = 0, n_drop - 1 do
    redis.call('UNLINK', keys[12] .. args[pos + j])
  end
  pos = pos + n_drop

  for _ = 1, n_values do
    local m = tonumber(args[pos + 1])
    hset_pairs(keys[12] .. args[pos], args, pos + 2, m)
    pos = pos + 2 + 2 * m
  end

  if offset ~= '' then redis.call('HSET', keys[2], 'offset', offset) end
  redis.call('HSET', keys[2], 'meta', meta, 'epoch', args[2], 'updatedAt', now)
  redis.call('HINCRBY', keys[2], 'processed', args[6])
  -- A commit proves the owner survives its batches: the crash-loop count starts again.
  redis.call('HDEL', keys[2], 'takeovers', 'applying')
  if n_late > 0 then redis.call('HINCRBY', keys[2], 'late', n_late) end
  if n_dead > 0 then redis.call('HINCRBY', keys[2], 'dead', n_dead) end
  return { last_change, n_changes }
end

redis.register_function('commit_batch', commit_batch)
