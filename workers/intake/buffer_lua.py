"""Lua scripts of workers.intake.buffer: each state change of the intake buffer is one script,
atomic across workers. Keys are documented in workers/intake/buffer.py."""

_BUFFER = """
-- KEYS: ev, buf, due, accounts, pending   ARGV: entry, now, delay, size, ttl, campaign, account,
-- email.  Returns {status (1 buffered, 0 event seen, 2 email already pending), len, first, full}
if KEYS[1] ~= '' then
  if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[5]) then
    return {0, redis.call('LLEN', KEYS[2]), 0, 0}
  end
end
if redis.call('SADD', KEYS[5], ARGV[8]) == 0 then
  return {2, redis.call('LLEN', KEYS[2]), 0, 0}
end
local n = redis.call('RPUSH', KEYS[2], ARGV[1])
local now, size = tonumber(ARGV[2]), tonumber(ARGV[4])
local first, full = 0, 0
if n == 1 then
  redis.call('ZADD', KEYS[3], now + tonumber(ARGV[3]), ARGV[6]); first = 1
end
if n >= size then
  redis.call('ZADD', KEYS[3], now, ARGV[6])
  if (n - size) % size == 0 then full = 1 end
end
redis.call('SADD', KEYS[4], ARGV[7])
return {1, n, first, full}
"""

# Claim up to maxn chunks for one account while fewer than K are in flight: split halves first
# (they hold leads already taken from a buffer), then the most overdue buffer.
_CLAIM = """
-- KEYS: ready, due, inflight, leases, seq   ARGV: account, now, size, K, maxn, lease, delay, pfx
local acct, now, size = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local K, maxn, lease, delay = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]),
  tonumber(ARGV[7])
local pfx = ARGV[8]
local out = {}
local inflight = redis.call('SCARD', KEYS[3])
while inflight < K and #out < maxn * 2 do
  local id = redis.call('LPOP', KEYS[1])
  local gen
  if id then
    gen = redis.call('HINCRBY', pfx .. ':chunk:' .. id, 'gen', 1)
    redis.call('HSET', pfx .. ':chunk:' .. id, 'state', 'queued')
  else
    local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1)
    if not due[1] then break end
    local camp = due[1]
    local buf = pfx .. ':buf:' .. acct .. ':' .. camp
    local items = redis.call('LPOP', buf, size)
    if items then
      id = acct .. '-' .. redis.call('INCR', KEYS[5])
      local ck = pfx .. ':chunk:' .. id
      for i = 1, #items, 200 do
        redis.call('RPUSH', ck .. ':leads', unpack(items, i, math.min(i + 199, #items)))
      end
      redis.call('HSET', ck, 'account', acct, 'campaign', camp, 'gen', 1, 'state', 'queued',
        'resend', 0, 'created', ARGV[2])
      gen = 1
    end
    local head = redis.call('LINDEX', buf, 0)
    if not head then
      redis.call('ZREM', KEYS[2], camp)
    elseif redis.call('LLEN', buf) >= size then
      redis.call('ZADD', KEYS[2], now, camp)
    else
      local ts = tonumber(string.sub(head, 1, string.find(head, '|', 1, true) - 1))
      redis.call('ZADD', KEYS[2], ts + delay, camp)
    end
  end
  if id then
    redis.call('SADD', KEYS[3], id)
    redis.call('ZADD', KEYS[4], now + lease, id)
    table.insert(out, id); table.insert(out, gen)
    inflight = inflight + 1
  end
end
return out
"""

_START = """
-- KEYS: chunk, leases   ARGV: id, gen, now, lease, mode (start|sending|defer|defer_applied)
-- defer_applied: the attempt may have been applied (a 5xx or timeout after sending), so the
-- next send is a re-send whatever comes back.
local g = redis.call('HGET', KEYS[1], 'gen')
if not g or tonumber(g) ~= tonumber(ARGV[2]) then return 0 end
local state = redis.call('HGET', KEYS[1], 'state')
local mode = ARGV[5]
if mode == 'start' then
  if state == 'sending' then redis.call('HSET', KEYS[1], 'resend', 1) end
  redis.call('HSET', KEYS[1], 'state', 'running')
elseif mode == 'sending' then
  redis.call('HSET', KEYS[1], 'state', 'sending')
elseif mode == 'defer_applied' then
  redis.call('HSET', KEYS[1], 'state', 'queued', 'resend', 1)
else
  redis.call('HSET', KEYS[1], 'state', 'queued')
end
redis.call('ZADD', KEYS[2], tonumber(ARGV[3]) + tonumber(ARGV[4]), ARGV[1])
return 1
"""

_ACK = """
-- KEYS: chunk, leads, inflight, leases, pending   ARGV: id, gen, emails...
local g = redis.call('HGET', KEYS[1], 'gen')
if not g or tonumber(g) ~= tonumber(ARGV[2]) then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
for i = 3, #ARGV, 200 do
  redis.call('SREM', KEYS[5], unpack(ARGV, i, math.min(i + 199, #ARGV)))
end
return 1
"""

_SPLIT = """
-- KEYS: chunk, leads, inflight, leases, ready, seq   ARGV: id, gen, account, pfx, now
local g = redis.call('HGET', KEYS[1], 'gen')
if not g or tonumber(g) ~= tonumber(ARGV[2]) then return {} end
local items = redis.call('LRANGE', KEYS[2], 0, -1)
local camp = redis.call('HGET', KEYS[1], 'campaign')
local half = math.ceil(#items / 2)
local ids = {}
for part = 2, 1, -1 do
  local lo, hi = 1, half
  if part == 2 then lo, hi = half + 1, #items end
  if lo <= hi then
    local id = ARGV[3] .. '-' .. redis.call('INCR', KEYS[6])
    local ck = ARGV[4] .. ':chunk:' .. id
    redis.call('RPUSH', ck .. ':leads', unpack(items, lo, hi))
    redis.call('HSET', ck, 'account', ARGV[3], 'campaign', camp, 'gen', 0, 'state', 'queued',
      'resend', 0, 'created', ARGV[5], 'parent', ARGV[1])
    redis.call('LPUSH', KEYS[5], id)
    table.insert(ids, 1, id)
  end
end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
return ids
"""

_REAP = """
-- KEYS: leases   ARGV: now, lease, pfx, limit
local out = {}
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[4]))
for _, id in ipairs(ids) do
  local ck = ARGV[3] .. ':chunk:' .. id
  if redis.call('EXISTS', ck) == 0 then
    redis.call('ZREM', KEYS[1], id)
  else
    if redis.call('HGET', ck, 'state') == 'sending' then redis.call('HSET', ck, 'resend', 1) end
    local gen = redis.call('HINCRBY', ck, 'gen', 1)
    redis.call('HSET', ck, 'state', 'queued')
    redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), id)
    table.insert(out, id); table.insert(out, gen)
    table.insert(out, redis.call('HGET', ck, 'account'))
  end
end
return out
"""

_FLUSH_AT = """
-- KEYS: flush_at   ARGV: at, now, ttl.  1 = caller must schedule a flush for `at`.
local cur = tonumber(redis.call('GET', KEYS[1]) or '')
local at, now = tonumber(ARGV[1]), tonumber(ARGV[2])
-- A flush due in the past has run (or is running and will reschedule): schedule anew.
if cur and cur > now and cur <= at + 0.05 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
return 1
"""
