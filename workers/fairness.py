"""Fairness between client accounts: a bound on one account's bulk work in flight.

The rate limiter already keeps one key's budget exact and keeps a slot for webhook-driven work
(the realtime lane, workers/rate_limit.py). What it cannot do is stop one account from filling
the queues: 500 chunk tasks enqueued at once sit ahead of every other account's chunks. Intake
therefore feeds an account's bulk work progressively: it takes an ``AccountSlots`` lease before
enqueueing a chunk task and the task releases it when done (success, dead letter or not), so at
most ``limit`` chunks of one account are queued or running at any time. A lease expires on its
own after ``ttl`` seconds, so a worker killed mid-chunk cannot leak it.

    slots = AccountSlots(redis_client)
    if slots.try_acquire(account_id, chunk_id):   # else: leave the chunk buffered, try later
        upload_chunk.apply_async(kwargs={"account_id": account_id, "chunk_id": chunk_id})
    ...
    slots.release(account_id, chunk_id)            # in the task, in a finally
"""

from __future__ import annotations

from typing import Any

from workers.settings import get_settings

_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local ttl = tonumber(ARGV[3])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ttl + 1000)
  return 1
end
return 0
"""


class AccountSlots:
    """A lease-based semaphore per account in Redis (one ZSET of lease expiries)."""

    def __init__(self, client: Any, *, kind: str = "bulk", limit: int | None = None,
                 ttl: float | None = None) -> None:
        s = get_settings()
        self.redis = client
        self.kind = kind
        self.limit = limit if limit is not None else s.bulk_tasks_per_account
        # Longer than a task may run (hard time limit) plus its queueing.
        self.ttl = ttl if ttl is not None else float(s.task_time_limit * 4)
        self._script = client.register_script(_ACQUIRE)

    def key(self, account_id: int) -> str:
        return f"leadops:fair:{self.kind}:{account_id}"

    def try_acquire(self, account_id: int, holder: str) -> bool:
        """Take (or renew) a lease for ``holder``; False when the account has ``limit`` out."""
        return bool(self._script(keys=[self.key(account_id)],
                                 args=[holder, self.limit, int(self.ttl * 1000)]))

    def release(self, account_id: int, holder: str) -> None:
        self.redis.zrem(self.key(account_id), holder)

    def in_flight(self, account_id: int) -> int:
        import time

        return int(self.redis.zcount(self.key(account_id), int(time.time() * 1000), "+inf"))
