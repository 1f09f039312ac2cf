"""Claims: one Redis key per (check, account, local period), taken atomically before enqueue.

The dispatcher takes ``pending:<tick>`` with SET NX and a short expiry, records the run in the
database (unique constraint: the second guard), then binds the key to the run id for as long
as the period can still run. A dispatcher that dies between the claim and the record leaves a
pending claim that expires by itself, so the period is not lost. The task confirms the claim
before it works: a key held by another run id means its period is taken.

A per-run lock (``run_lock``) keeps two executions of one run apart (a redelivery while the
first still runs, a manual re-send).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

PREFIX = "leadops:sched"
PENDING_SECONDS = 300  # longer than a dispatcher needs from claim to record (seconds at 100k)
MIN_HOLD_SECONDS = 3600

# KEYS[1] claim; ARGV: run id, expiry. 1 = the run holds the period; 0 = another run does.
_CONFIRM = """
local v = redis.call('GET', KEYS[1])
if (not v) or v == ARGV[1] or string.sub(v, 1, 8) == 'pending:' then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 1
end
return 0
"""


def claim_key(check: str, account_id: int, period_key: str) -> str:
    return f"{PREFIX}:claim:{check}:{account_id}:{period_key}"


def new_token() -> str:
    return "pending:" + uuid.uuid4().hex[:16]


def claim_many(
    redis: Any,
    check: str,
    items: Sequence[tuple[int, str]],
    token: str,
    *,
    pending_seconds: int = PENDING_SECONDS,
    batch: int = 5000,
) -> list[bool]:
    """SET NX each (account, period) claim: True where this caller took it."""
    won: list[bool] = []
    for i in range(0, len(items), batch):
        pipe = redis.pipeline(transaction=False)
        for account_id, period_key in items[i : i + batch]:
            pipe.set(claim_key(check, account_id, period_key), token, nx=True, ex=pending_seconds)
        won += [bool(r) for r in pipe.execute()]
    return won


def bind_many(
    redis: Any,
    check: str,
    items: Sequence[tuple[int, str, int, int]],
    *,
    batch: int = 5000,
) -> None:
    """(account, period, run id, seconds to hold): the claim now names its run."""
    for i in range(0, len(items), batch):
        pipe = redis.pipeline(transaction=False)
        for account_id, period_key, run_id, hold in items[i : i + batch]:
            pipe.set(claim_key(check, account_id, period_key), str(run_id), ex=max(hold, 1))
        pipe.execute()


def release_many(redis: Any, check: str, items: Sequence[tuple[int, str]], token: str) -> None:
    """Drop pending claims this caller took but did not record (the database had the run)."""
    for account_id, period_key in items:
        key = claim_key(check, account_id, period_key)
        if redis.get(key) in (token, token.encode()):
            redis.delete(key)


def confirm(redis: Any, check: str, account_id: int, period_key: str, run_id: int) -> bool:
    """The task's re-check: True when the period's claim is (or becomes) this run's."""
    script = redis.register_script(_CONFIRM)
    key = claim_key(check, account_id, period_key)
    return bool(script(keys=[key], args=[str(run_id), MIN_HOLD_SECONDS * 24]))


def holder(redis: Any, check: str, account_id: int, period_key: str) -> str | None:
    value = redis.get(claim_key(check, account_id, period_key))
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


def run_lock(redis: Any, run_id: int, seconds: float) -> Any:
    """A non-blocking lock on one run (redis-py's Lock: token-checked release)."""
    return redis.lock(f"{PREFIX}:lock:{run_id}", timeout=seconds, blocking=False)


def locked(redis: Any, run_ids: Sequence[int]) -> set[int]:
    """The runs whose lock is held right now (an execution is under way)."""
    if not run_ids:
        return set()
    pipe = redis.pipeline(transaction=False)
    for run_id in run_ids:
        pipe.exists(f"{PREFIX}:lock:{run_id}")
    return {rid for rid, held in zip(run_ids, pipe.execute(), strict=True) if held}


__all__ = [
    "bind_many",
    "claim_key",
    "claim_many",
    "confirm",
    "holder",
    "locked",
    "new_token",
    "release_many",
    "run_lock",
]
