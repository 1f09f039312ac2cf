"""The limiter's decisions, as Lua run atomically inside Redis on Redis's own clock.

Times are integer microseconds from ``redis.call('TIME')``: worker clocks never matter.
Every key of one credential shares a hash tag (``{<key id>}``), so the scripts stay valid on a
Redis Cluster.

ACQUIRE
  KEYS: penalty, header budget, stats, horizon, realtime-waiting marker, then one sliding-log
  ZSET per window.
  ARGV: lane, member, max_wait_us, spacing_us, n, then n triples (cap, window_us, full cap).
  A window admits when fewer than ``cap`` entries lie in (now - window_us, now]. ``cap`` is the
  lane's share (bulk leaves the realtime reserve untouched while realtime work is about: one
  waits, or one was admitted within the longest window; otherwise bulk may use the full cap,
  so the lanes are work-conserving); ``window_us`` includes the safety padding. On admission
  one entry is added to every window at once. A realtime request that must wait sets the
  marker until it expects its token; bulk takes none before then, so webhook-driven work gets
  the next free slot even in windows too small for a reserve.
  Returns {admitted, wait_us, retry_after_us}: wait_us is how long until every window, the
  penalty box and the header budget would admit; when it exceeds max_wait_us the caller will
  reschedule instead of sleeping, and retry_after_us is a slot on the lane's deferral horizon, so
  rescheduled work comes back spread at the sustained rate instead of as a herd.

OBSERVE
  KEYS: penalty, header budget, stats, then the window ZSETs.
  ARGV: lane, status, retry_after_us (-1: none), remaining (-1: none), reset_us (-1: none),
  default_penalty_us, then (cap, window_us) per window.
  A 429 puts the whole key in the penalty box until now + Retry-After (never shortens one).
  x-ratelimit-remaining/-reset can only tighten: they are kept only when the server sees less
  room than our own windows do (someone else spends the key, or the plan shrank), and every
  admission spends one. Otherwise they are ignored: the server rounds reset up to whole seconds,
  and following it when our own log is already exact would only waste budget.
"""

from __future__ import annotations

ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local lane = ARGV[1]
local member = ARGV[2]
local max_wait = tonumber(ARGV[3])
local spacing = tonumber(ARGV[4])
local n = tonumber(ARGV[5])
local wait = 0

local pen = tonumber(redis.call('GET', KEYS[1]) or '0')
if pen > now then wait = pen - now end

local hdr = redis.call('HMGET', KEYS[2], 'remaining', 'until')
local hdr_active = false
if hdr[2] and tonumber(hdr[2]) > now then
  hdr_active = true
  if tonumber(hdr[1]) <= 0 then
    wait = math.max(wait, tonumber(hdr[2]) - now)
  end
end

if lane == 'bulk' then
  local rt = tonumber(redis.call('GET', KEYS[5]) or '0')
  if rt > now then wait = math.max(wait, rt - now) end
end

-- Work-conserving: bulk borrows the realtime reserve while no realtime request waits and
-- none was admitted within the longest window (a lone bulk upload reaches the full limit).
local lend = false
if lane == 'bulk' and wait == 0 then
  local longest = 0
  for i = 1, n do longest = math.max(longest, tonumber(ARGV[4 + 3 * i])) end
  local rtlast = tonumber(redis.call('HGET', KEYS[4], 'rtlast') or '0')
  lend = now - rtlast > longest
end

for i = 1, n do
  local key = KEYS[5 + i]
  local cap = tonumber(ARGV[3 + 3 * i])
  local win = tonumber(ARGV[4 + 3 * i])
  if lend then cap = tonumber(ARGV[5 + 3 * i]) end
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - win)
  local count = redis.call('ZCARD', key)
  if count >= cap then
    -- The (count - cap + 1) oldest entries must leave before this lane may add one.
    local e = redis.call('ZRANGE', key, count - cap, count - cap, 'WITHSCORES')
    wait = math.max(wait, tonumber(e[2]) + win - now)
  end
end

local function hold_for_realtime(untl)
  if lane == 'realtime' then
    local cur = tonumber(redis.call('GET', KEYS[5]) or '0')
    if untl > cur then
      redis.call('SET', KEYS[5], untl, 'PX', math.floor((untl - now) / 1000) + 1)
    end
  end
end

if wait > 0 then
  redis.call('HINCRBY', KEYS[3], 'denied:' .. lane, 1)
  if wait <= max_wait then
    hold_for_realtime(now + wait + 100000)
    return {0, wait, 0}
  end
  local nxt = tonumber(redis.call('HGET', KEYS[4], lane) or '0')
  local slot = math.max(now + wait, nxt)
  redis.call('HSET', KEYS[4], lane, slot + spacing)
  redis.call('PEXPIRE', KEYS[4], math.floor((slot + spacing - now) / 1000) + 1000)
  redis.call('HINCRBY', KEYS[3], 'deferred:' .. lane, 1)
  hold_for_realtime(slot + 100000)
  return {0, wait, slot - now}
end

for i = 1, n do
  local key = KEYS[5 + i]
  local win = tonumber(ARGV[4 + 3 * i])
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, math.floor(win / 1000) + 1000)
end
if hdr_active then redis.call('HINCRBY', KEYS[2], 'remaining', -1) end
if lane == 'realtime' then redis.call('HSET', KEYS[4], 'rtlast', now) end
redis.call('HINCRBY', KEYS[3], 'admitted:' .. lane, 1)
return {1, 0, 0}
"""

OBSERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local lane = ARGV[1]
local status = tonumber(ARGV[2])
local retry_after = tonumber(ARGV[3])
local remaining = tonumber(ARGV[4])
local reset = tonumber(ARGV[5])
local default_penalty = tonumber(ARGV[6])

if status == 429 then
  redis.call('HINCRBY', KEYS[3], '429:' .. lane, 1)
  if retry_after < 0 then retry_after = default_penalty end
  local untl = now + retry_after
  local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
  if untl > cur then
    redis.call('SET', KEYS[1], untl, 'PX', math.floor(retry_after / 1000) + 1000)
  end
end

if remaining >= 0 and reset >= 0 then
  local ours = nil
  for i = 4, #KEYS do
    local cap = tonumber(ARGV[5 + 2 * (i - 3)])
    local win = tonumber(ARGV[6 + 2 * (i - 3)])
    local room = cap - redis.call('ZCOUNT', KEYS[i], '(' .. (now - win), '+inf')
    if ours == nil or room < ours then ours = room end
  end
  if ours ~= nil and remaining >= ours then return 0 end
  local untl = now + reset
  local hdr = redis.call('HMGET', KEYS[2], 'remaining', 'until')
  local active = hdr[2] and tonumber(hdr[2]) > now
  if (not active) or remaining <= tonumber(hdr[1]) then
    if active then untl = math.max(untl, tonumber(hdr[2])) end
    redis.call('HSET', KEYS[2], 'remaining', remaining, 'until', untl)
    redis.call('PEXPIRE', KEYS[2], math.floor((untl - now) / 1000) + 1000)
  end
end
return 1
"""

# Penalty box and header budget, for `leadops limits` and tests: {now, penalty_until, remaining,
# header_until, count per window...}. KEYS: penalty, header, windows...; ARGV: window_us each.
PEEK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local out = {now, tonumber(redis.call('GET', KEYS[1]) or '0')}
local hdr = redis.call('HMGET', KEYS[2], 'remaining', 'until')
out[3] = tonumber(hdr[1] or '-1')
out[4] = tonumber(hdr[2] or '0')
for i = 3, #KEYS do
  out[#out + 1] = redis.call('ZCOUNT', KEYS[i], '(' .. (now - tonumber(ARGV[i - 2])), '+inf')
end
return out
"""
