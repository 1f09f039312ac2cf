"""One rate limiter per API key, shared by every worker process on every host through Redis.

- Keyed by a hash of service + credential (never the credential): accounts that share a key
  share its budget.
- Several windows per key at once (e.g. 10 per 2 s and 60 per 60 s), each an exact sliding log:
  no window ever admits more than its limit. Decisions run in Lua on Redis's clock
  (workers/rate_limit_lua.py).
- Safety margin: each window is padded by ``limiter_window_padding_ms`` (requests admitted
  exactly one window apart may reach the server closer together) and its limit lowered by
  ``limiter_limit_margin``.
- Lanes: ``realtime`` (webhook-driven) may use a window's whole budget; ``bulk`` leaves
  ``limiter_realtime_reserve`` of every window to realtime, so a backlog never starves webhooks,
  and borrows it while no realtime work is about (lua.ACQUIRE: work-conserving).
- A 429 closes the whole key until Retry-After for every process; x-ratelimit headers tighten.
- ``acquire`` waits at most ``limiter_max_wait_ms``; beyond that it raises RateLimitDeferred with
  the time the task should come back (the task gives its worker slot back, see task_base).
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import redis

from workers.clients.errors import RateLimitDeferred
from workers.rate_limit import counters, lua
from workers.rate_limit.learn import Learner
from workers.settings import get_settings

PREFIX = "leadops:rl"
LANES = ("realtime", "bulk")
US = 1_000_000


@dataclass(frozen=True)
class Window:
    limit: int
    seconds: float

    def __str__(self) -> str:
        return f"{self.limit}/{self.seconds:g}s"


@dataclass(frozen=True)
class Decision:
    admitted: bool
    wait: float  # seconds until the key would admit this lane
    retry_after: float = 0.0  # deferral slot (seconds), set when wait exceeds the allowed wait


@dataclass(frozen=True)
class Policy:
    """How configured windows become the caps the Lua script enforces."""

    padding_ms: float = 50.0
    limit_margin: int = 0
    realtime_reserve: float = 0.1

    def caps(self, windows: Sequence[Window], lane: str) -> list[tuple[int, int]]:
        """[(cap, window_us)] for a lane. Bulk leaves floor(reserve * limit) to realtime (at
        least one token stays usable by bulk); in windows too small for a reserve realtime still
        goes first (the realtime-waiting marker, rate_limit_lua.py)."""
        out = []
        for w in windows:
            effective = max(1, w.limit - self.limit_margin)
            cap = effective
            if lane == "bulk" and effective > 1:
                reserve = min(math.floor(effective * self.realtime_reserve), effective - 1)
                cap = effective - reserve
            out.append((cap, int(round((w.seconds + self.padding_ms / 1000.0) * US))))
        return out

    def spacing_us(self, windows: Sequence[Window], lane: str) -> int:
        """The sustained interval between admissions of a lane (its slowest window)."""
        return max(win_us // cap for cap, win_us in self.caps(windows, lane))


def key_id(service: str, credential: str) -> str:
    """Stable, non-reversible id of a credential (16 hex of sha256)."""
    return hashlib.sha256(f"{service}:{credential}".encode()).hexdigest()[:16]


def as_windows(windows: Iterable[Window | tuple[float, float] | Sequence[float]]) -> list[Window]:
    out = []
    for w in windows:
        if isinstance(w, Window):
            out.append(w)
        else:
            limit, seconds = w
            out.append(Window(int(limit), float(seconds)))
    if not out or any(w.limit < 1 or w.seconds <= 0 for w in out):
        raise ValueError(f"invalid rate-limit windows {out!r}")
    return out


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date), clamped to [0, 1 h]."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - now()
        except (TypeError, ValueError, IndexError):
            return None
    return min(max(seconds, 0.0), 3600.0)


def parse_reset(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """x-ratelimit-reset as seconds from now: delta seconds, or epoch seconds/milliseconds."""
    if not value:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    if number > 1e12:
        number = number / 1000.0 - now()
    elif number > 1e9:
        number = number - now()
    return min(max(number, 0.0), 3600.0)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for k, v in headers.items():
        if k.lower() == name:
            return v
    return None


class RateLimiter:
    """The shared limiter. Cheap to build; one per process via ``get_limiter()``."""

    def __init__(
        self,
        client: redis.Redis | None = None,
        *,
        policy: Policy | None = None,
        max_wait: float | None = None,
        default_penalty: float | None = None,
        prefix: str = PREFIX,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        s = get_settings()
        self.redis = (
            client
            if client is not None
            else redis.Redis.from_url(
                s.resolved_redis_url(),
                socket_timeout=5,
                socket_connect_timeout=5,
                health_check_interval=30,
            )
        )
        self.policy = policy or Policy(
            padding_ms=s.limiter_window_padding_ms,
            limit_margin=s.limiter_limit_margin,
            realtime_reserve=s.limiter_realtime_reserve,
        )
        self.max_wait = s.limiter_max_wait_ms / 1000.0 if max_wait is None else max_wait
        self.default_penalty = (
            s.limiter_default_retry_after if default_penalty is None else default_penalty
        )
        self.prefix = prefix
        self._sleep = sleep
        self._acquire = self.redis.register_script(lua.ACQUIRE)
        self._observe = self.redis.register_script(lua.OBSERVE)
        self._peek = self.redis.register_script(lua.PEEK)
        self._registered: set[str] = set()
        self.learner = Learner(self.redis, lambda k: self._k(k, "learn"))

    # ---- keys ------------------------------------------------------------------------------
    def _k(self, key_id: str, part: str) -> str:
        return f"{self.prefix}:{{{key_id}}}:{part}"

    def window_key(self, key_id: str, w: Window) -> str:
        return self._k(key_id, f"w:{w.limit}:{w.seconds:g}")

    def register(self, key_id: str, service: str, windows: Sequence[Window]) -> None:
        """Remember the key for `leadops limits` and the metrics collector (once per process)."""
        if key_id in self._registered:
            return
        pipe = self.redis.pipeline(transaction=False)
        pipe.sadd(f"{self.prefix}:keys", key_id)
        pipe.hset(
            self._k(key_id, "meta"),
            mapping={
                "service": service,
                "windows": ",".join(f"{w.limit}/{w.seconds:g}" for w in windows),
            },
        )
        pipe.execute()
        self._registered.add(key_id)

    # ---- decisions -------------------------------------------------------------------------
    def try_acquire(
        self,
        key_id: str,
        windows: Sequence[Window],
        lane: str = "realtime",
        *,
        max_wait: float | None = None,
    ) -> Decision:
        """One atomic decision. Admits now, or says how long until it could."""
        if lane not in LANES:
            raise ValueError(f"unknown lane {lane!r}")
        # Caps from the limits in force (learned ones are lower); the sliding logs stay keyed
        # by the configured windows, so a change of the learned figure keeps every entry.
        in_force = self.in_force(key_id, windows)
        caps = self.policy.caps(in_force, lane)
        keys = [
            self._k(key_id, "penalty"),
            self._k(key_id, "hdr"),
            self._k(key_id, "stats"),
            self._k(key_id, "horizon"),
            self._k(key_id, "rtwait"),
        ] + [self.window_key(key_id, w) for w in windows]
        argv: list[Any] = [
            lane,
            f"{time.time_ns()}-{os.getpid()}-{os.urandom(4).hex()}",
            int((self.max_wait if max_wait is None else max_wait) * US),
            self.policy.spacing_us(in_force, lane),
            len(caps),
        ]
        full = self.policy.caps(in_force, "realtime")
        for (cap, win_us), (full_cap, _) in zip(caps, full, strict=True):
            argv += [cap, win_us, full_cap]
        admitted, wait_us, retry_us = self._acquire(keys=keys, args=argv)
        return Decision(bool(admitted), int(wait_us) / US, int(retry_us) / US)

    def in_force(self, key_id: str, windows: Sequence[Window]) -> list[Window]:
        """The configured windows with the learned limit where it is lower (learn.py)."""
        limits = self.learner.limits(key_id, [(w.limit, w.seconds) for w in windows])
        return [Window(lim, w.seconds) for lim, w in zip(limits, windows, strict=True)]

    def acquire(self, key_id: str, windows: Sequence[Window], lane: str = "realtime") -> float:
        """Take one token, waiting at most ``max_wait``; returns the seconds waited. Raises
        RateLimitDeferred(retry_after) when the key has no capacity within that wait."""
        start = time.monotonic()
        deadline = start + self.max_wait
        while True:
            t0 = time.perf_counter()
            d = self.try_acquire(
                key_id, windows, lane, max_wait=max(0.0, deadline - time.monotonic())
            )
            counters.DECISION_SECONDS.observe(time.perf_counter() - t0)
            if d.admitted:
                waited = time.monotonic() - start
                counters.ADMITTED.labels(key_id, lane).inc()
                if waited > 0.001:
                    counters.WAITED.labels(key_id, lane).inc(waited)
                    self.redis.hincrbyfloat(self._k(key_id, "stats"), f"waited_s:{lane}", waited)
                return waited
            if d.retry_after > 0:
                counters.RESCHEDULED.labels(key_id, lane).inc()
                raise RateLimitDeferred(d.retry_after, key_id=key_id)
            # Capacity within the allowed wait: sleep until then (a little after, so the
            # entry that blocks us has surely left), then decide again.
            self._sleep(min(d.wait + 0.001, max(0.0, deadline - time.monotonic()) + 0.001))

    def observe(
        self,
        key_id: str,
        status_code: int,
        headers: Mapping[str, str],
        lane: str = "realtime",
        windows: Sequence[Window] = (),
    ) -> None:
        """Learn from an answer: 429 -> penalty box for the whole key; x-ratelimit-* headers
        tighten when the server sees less room than ``windows`` (our own logs) do; the key's
        limits are learned from the same answer (learn.py)."""
        if windows:
            self.learner.observe(
                key_id, status_code, headers, [(w.limit, w.seconds) for w in windows]
            )
        retry_after = parse_retry_after(_header(headers, "retry-after"))
        remaining_raw = _header(headers, "x-ratelimit-remaining")
        reset = parse_reset(_header(headers, "x-ratelimit-reset"))
        try:
            remaining = int(float(remaining_raw)) if remaining_raw is not None else -1
        except ValueError:
            remaining = -1
        if status_code != 429 and (remaining < 0 or reset is None):
            return
        if status_code == 429:
            counters.SERVER_429.labels(key_id, lane).inc()
        argv: list[Any] = [
            lane,
            status_code,
            -1 if retry_after is None else int(retry_after * US),
            remaining,
            -1 if reset is None else int(reset * US),
            int(self.default_penalty * US),
        ]
        for cap, win_us in self.policy.caps(self.in_force(key_id, windows), "realtime"):
            argv += [cap, win_us]
        self._observe(
            keys=[self._k(key_id, "penalty"), self._k(key_id, "hdr"), self._k(key_id, "stats")]
            + [self.window_key(key_id, w) for w in windows],
            args=argv,
        )

    def gate(
        self,
        service: str,
        credential: str,
        windows: Iterable[Window | tuple[float, float]],
        lane: str = "realtime",
    ) -> KeyGate:
        ws = as_windows(windows)
        hashed = key_id(service, credential)
        self.register(hashed, service, ws)
        return KeyGate(self, hashed, ws, lane)

    # ---- inspection ------------------------------------------------------------------------
    def known_keys(self) -> list[str]:
        return sorted(
            k.decode() if isinstance(k, bytes) else k
            for k in self.redis.smembers(f"{self.prefix}:keys")
        )

    def status(self, key_id: str) -> dict[str, Any]:
        """Current budget of every window, penalty box, header budget and counters of a key."""
        meta = {_s(k): _s(v) for k, v in self.redis.hgetall(self._k(key_id, "meta")).items()}
        windows = (
            as_windows(
                tuple(map(float, spec.split("/")))
                for spec in meta.get("windows", "").split(",")
                if spec
            )
            if meta.get("windows")
            else []
        )
        keys = [self._k(key_id, "penalty"), self._k(key_id, "hdr")] + [
            self.window_key(key_id, w) for w in windows
        ]
        argv = [win_us for _cap, win_us in self.policy.caps(windows, "realtime")]
        now, pen, hdr_rem, hdr_until, *counts = self._peek(keys=keys, args=argv)
        counters = {
            _s(k): float(v) for k, v in self.redis.hgetall(self._k(key_id, "stats")).items()
        }
        learned = self.in_force(key_id, windows)
        return {
            "key": key_id,
            "service": meta.get("service", "?"),
            "windows": [
                {
                    "window": str(w),
                    "used": int(c),
                    "limit": w.limit,
                    "learned": lw.limit,
                    "remaining": max(0, lw.limit - int(c)),
                }
                for w, lw, c in zip(windows, learned, counts, strict=True)
            ],
            "penalty_seconds": max(0, int(pen) - int(now)) / US,
            "header_remaining": int(hdr_rem) if int(hdr_until) > int(now) else None,
            "header_seconds": max(0, int(hdr_until) - int(now)) / US,
            "counters": counters,
        }


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class KeyGate:
    """A RequestGate for one credential and lane (workers/clients/base.py)."""

    def __init__(
        self, limiter: RateLimiter, key_id: str, windows: Sequence[Window], lane: str
    ) -> None:
        self.limiter, self.key_id, self.windows, self.lane = limiter, key_id, windows, lane

    def acquire(self) -> None:
        self.limiter.acquire(self.key_id, self.windows, self.lane)

    def observe(self, status_code: int, headers: Mapping[str, str]) -> None:
        self.limiter.observe(self.key_id, status_code, headers, self.lane, self.windows)

    def __repr__(self) -> str:
        windows = ", ".join(map(str, self.windows))
        return f"<KeyGate key={self.key_id} lane={self.lane} windows=[{windows}]>"


_limiter: RateLimiter | None = None
_limiter_pid: int | None = None
_lock = threading.Lock()


def get_limiter() -> RateLimiter:
    """The process's limiter (rebuilt after a fork, so each worker process has its own pool)."""
    global _limiter, _limiter_pid
    with _lock:
        if _limiter is None or _limiter_pid != os.getpid():
            _limiter = RateLimiter()
            _limiter_pid = os.getpid()
        return _limiter
