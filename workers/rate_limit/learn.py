"""Learning each key's real limit from what the server answers (issue 16).

A configured plan is a ceiling, never a promise: the account may say 10 per 2 s while the key
really allows 6. Per configured window the limiter keeps a *learned* limit in Redis (one hash
per key, shared by every process; ``P:{key}:learn``, field ``<limit>/<seconds>``):

- ``x-ratelimit-limit`` names the limit of the server's most constraining window. It is matched
  to the configured window with the smallest limit that is still >= it (the tightest window it
  can be); when it is lower, that window learns it at once, usually before any 429. A figure
  above every configured limit is ignored: the limiter never goes above the configuration.
- A 429 (Retry-After stays the hard stop for the whole key, see lua.OBSERVE) without a usable
  header cuts the tightest window multiplicatively (x0.7, once per throttle episode: requests
  already in flight all come back 429 together) and remembers the level that failed.
- After ``grow_after`` x limit successes without a 429, a window learned from a 429 grows back by
  one (additive increase), but only up to one below the level that failed, until ``probe_after``
  seconds have passed without a 429: a wrong guess costs a bounded few 429s, not a sawtooth.
  A limit the server states in its headers is not grown past: it is the server's own figure.

Processes cache the learned figures for ``cache_seconds``; a 429 puts the whole key in the
penalty box for at least a second, longer than that cache, so no process keeps using a stale
figure after a cut. LEARN below is atomic in Redis, so two processes never cut twice for one
throttle episode.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

LEARN = """
-- KEYS: learn hash.  ARGV: field, configured, mode (told|throttled|ok), told_limit, now,
-- cooldown, beta, grow_after, probe_after.  Returns the learned limit (0: none, configured).
local f, conf, mode = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local now, cooldown = tonumber(ARGV[5]), tonumber(ARGV[6])
local cur = tonumber(redis.call('HGET', KEYS[1], f) or '0')
local eff = cur > 0 and cur or conf
if mode == 'told' then
  local told = tonumber(ARGV[4])
  if told < eff then
    redis.call('HSET', KEYS[1], f, told, f .. ':src', 'header', f .. ':at', now, f .. ':ok', 0)
    return told
  end
  return cur
end
if mode == 'throttled' then
  local last = tonumber(redis.call('HGET', KEYS[1], f .. ':cut') or '0')
  redis.call('HSET', KEYS[1], f .. ':ok', 0, f .. ':429', now)
  if now - last < cooldown then return cur end
  local nxt = math.max(1, math.floor(eff * tonumber(ARGV[7])))
  redis.call('HSET', KEYS[1], f, nxt, f .. ':src', '429', f .. ':cut', now, f .. ':bad', eff,
    f .. ':at', now)
  redis.call('HINCRBY', KEYS[1], 'cuts', 1)
  return nxt
end
-- ok: grow a 429-learned limit back, cautiously
if cur == 0 or cur >= conf or redis.call('HGET', KEYS[1], f .. ':src') ~= '429' then
  return cur
end
local ok = redis.call('HINCRBY', KEYS[1], f .. ':ok', 1)
if ok < tonumber(ARGV[8]) * cur then return cur end
local bad = tonumber(redis.call('HGET', KEYS[1], f .. ':bad') or '0')
local last429 = tonumber(redis.call('HGET', KEYS[1], f .. ':429') or '0')
local top = conf
if bad > 0 and now - last429 < tonumber(ARGV[9]) then top = math.min(conf, bad - 1) end
if cur >= top then
  redis.call('HSET', KEYS[1], f .. ':ok', 0)
  return cur
end
local nxt = cur + 1
if nxt >= conf then
  redis.call('HDEL', KEYS[1], f, f .. ':src', f .. ':ok', f .. ':bad', f .. ':cut', f .. ':at')
  return 0
end
redis.call('HSET', KEYS[1], f, nxt, f .. ':ok', 0, f .. ':at', now)
return nxt
"""


def field(limit: int, seconds: float) -> str:
    return f"{limit}/{seconds:g}"


def header_int(headers: Mapping[str, str], name: str) -> int | None:
    for k, v in headers.items():
        if k.lower() == name:
            try:
                return int(float(v))
            except ValueError:
                return None
    return None


def matching_window(told: int, limits: Sequence[tuple[int, float]]) -> int | None:
    """Index of the configured window a server-stated limit belongs to: the one with the
    smallest limit still >= it (shortest first on ties); None when it is above them all."""
    fits = [(lim, sec, i) for i, (lim, sec) in enumerate(limits) if lim >= told]
    return min(fits)[2] if fits else None


def tightest(limits: Sequence[tuple[int, float]]) -> int:
    """The window that most constrains a burst: the highest rate (limit per second)."""
    return max(range(len(limits)), key=lambda i: (limits[i][0] / limits[i][1], -limits[i][1]))


class Learner:
    """Learned limits per key, in Redis, cached per process for ``cache_seconds``."""

    def __init__(
        self,
        client: Any,
        key_of: Any,
        *,
        cache_seconds: float = 1.0,
        beta: float = 0.7,
        grow_after: int = 2,
        probe_after: float = 600.0,
    ) -> None:
        self.redis, self.key_of = client, key_of
        self.cache_seconds, self.beta = cache_seconds, beta
        self.grow_after, self.probe_after = grow_after, probe_after
        self.now = time.time  # tests substitute their clock
        self._script = client.register_script(LEARN)
        self._cache: dict[str, tuple[float, dict[str, int]]] = {}

    def learned(self, key_id: str) -> dict[str, int]:
        """{"<limit>/<seconds>": learned limit} for the windows that learned a lower one."""
        hit = self._cache.get(key_id)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        raw = self.redis.hgetall(self.key_of(key_id))
        out: dict[str, int] = {}
        for k, v in raw.items():
            name = k.decode() if isinstance(k, bytes) else str(k)
            if ":" not in name and "/" in name:
                out[name] = int(float(v))
        self._cache[key_id] = (time.monotonic() + self.cache_seconds, out)
        return out

    def limits(self, key_id: str, limits: Sequence[tuple[int, float]]) -> list[int]:
        """Each configured window's limit in force: the learned one when lower."""
        learned = self.learned(key_id)
        return [min(lim, learned.get(field(lim, sec), lim)) for lim, sec in limits]

    def observe(
        self,
        key_id: str,
        status_code: int,
        headers: Mapping[str, str],
        limits: Sequence[tuple[int, float]],
    ) -> None:
        if not limits:
            return
        told = header_int(headers, "x-ratelimit-limit")
        idx = matching_window(told, limits) if told is not None and told > 0 else None
        now = self.now()
        changed = False
        if idx is not None and told is not None and told < limits[idx][0]:
            changed |= self._run(key_id, limits[idx], "told", told, now)
        if status_code == 429 and (idx is None or told is None or told >= limits[idx][0]):
            # A throttle no header explains: guess the burst window and cut it, once per
            # window length (the requests in flight come back 429 together).
            burst = limits[tightest(limits)]
            changed |= self._run(key_id, burst, "throttled", 0, now, cooldown=burst[1])
        elif status_code < 400:
            learned = self.learned(key_id)
            for lim, sec in limits:
                if field(lim, sec) in learned:
                    changed |= self._run(key_id, (lim, sec), "ok", 0, now)
        if changed:
            self._cache.pop(key_id, None)

    def _run(
        self,
        key_id: str,
        window: tuple[int, float],
        mode: str,
        told: int,
        now: float,
        *,
        cooldown: float = 0.0,
    ) -> bool:
        before = self.learned(key_id).get(field(*window), 0)
        after = self._script(
            keys=[self.key_of(key_id)],
            args=[
                field(*window),
                window[0],
                mode,
                told,
                now,
                cooldown,
                self.beta,
                self.grow_after,
                self.probe_after,
            ],
        )
        return int(after) != before
