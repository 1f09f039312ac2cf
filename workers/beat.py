"""Beat's scheduler: RedBeat, made to ride out a Redis outage and to hand over fast.

- A Redis error in a tick (reading the schedule, extending the lock, publishing) is logged and
  the tick comes back after a short backoff; Beat never exits on it (it used to exit with
  ``ConnectionError`` when Redis restarted).
- The lock times out in seconds (``redbeat_lock_timeout``, 3 x ``beat_max_loop_interval``): a
  standby Beat takes over that soon after the active one dies. A clean stop releases it
  (RedBeat's ``close``, run by Beat's SIGTERM/SIGINT handler), so a restart does not wait at all.
- A Beat that lost the lock (expired during an outage, or taken by the standby) stands by:
  it tries to take it again every tick and schedules nothing until it has it. A Beat that starts
  while another holds the lock waits in RedBeat's own acquire, as a standby.
"""

from __future__ import annotations

from typing import Any

import redis
from kombu.exceptions import OperationalError
from redbeat.schedulers import LUA_EXTEND_TO_SCRIPT, RedBeatScheduler, get_redis

from workers.logging import get_logger

log = get_logger("leadops.beat")

REDIS_ERRORS: tuple[type[BaseException], ...] = (redis.RedisError, OperationalError, OSError)
MAX_BACKOFF = 5.0


class LeadOpsScheduler(RedBeatScheduler):  # type: ignore[misc]
    _failures = 0

    def setup_schedule(self) -> None:
        try:
            super().setup_schedule()
        except REDIS_ERRORS as exc:
            # Installed again on the first tick that reaches Redis.
            log.warning("beat_setup_deferred", error=type(exc).__name__)
            self._needs_setup = True

    def tick(self, *args: Any, **kwargs: Any) -> float:
        try:
            if getattr(self, "_needs_setup", False):
                super().setup_schedule()
                self._needs_setup = False
            if self.lock_key and not self._hold_lock():
                return float(self.max_interval)
            delay = float(super().tick(*args, **kwargs))
        except redis.exceptions.LockError as exc:
            # Lock expired while Redis was away, or the standby has it now.
            log.warning("beat_lock_lost", error=type(exc).__name__)
            self.lock = None
            return float(self.max_interval)
        except REDIS_ERRORS as exc:
            self._failures += 1
            delay = min(MAX_BACKOFF, 0.5 * 2.0 ** min(self._failures, 6))
            log.warning("beat_redis_unavailable", error=type(exc).__name__, retry_in=delay)
            return delay
        if self._failures:
            log.info("beat_redis_back", failed_ticks=self._failures)
            self._failures = 0
        return delay

    def _hold_lock(self) -> bool:
        """True when this Beat holds the lock (taking it if it is free)."""
        if self.lock is not None:
            return True
        client = get_redis(self.app)
        lock = client.lock(self.lock_key, timeout=self.lock_timeout, sleep=self.max_interval)
        lock.lua_extend = client.register_script(LUA_EXTEND_TO_SCRIPT)
        if not lock.acquire(blocking=False):
            return False
        log.info("beat_lock_acquired", lock=self.lock_key)
        self.lock = lock
        return True

    def close(self) -> None:
        try:
            super().close()
        except REDIS_ERRORS as exc:
            # Redis away at shutdown: the lock lapses on its own within lock_timeout.
            log.warning("beat_lock_not_released", error=type(exc).__name__)


SCHEDULER = f"{__name__}:LeadOpsScheduler"
