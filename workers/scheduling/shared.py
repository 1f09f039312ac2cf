"""One listing per Smartlead key, shared by every account on that key.

Accounts of an agency may share one key and differ by ``client_id``. A listing that serves all
of them (``GET /email-accounts/``, ``GET /campaigns/``) is fetched once per key and period by
whichever account's run comes first, kept in Redis for the others, and each account keeps its
own rows (``rows_for_client``).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from typing import Any

from workers.models import Account
from workers.redis_client import redis_client

LISTING_TTL_SECONDS = 3 * 3600
LOCK_SECONDS = 120  # longer than a listing of many pages under the limiter should take
WAIT_STEP_SECONDS = 0.2


def key_group(account: Account) -> str:
    """Accounts with the same key and base URL share listings (a hash, never the key)."""
    raw = f"{account.smartlead_base_url or ''}\x00{account.smartlead_api_key or ''}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def shared_listing(
    account: Account,
    name: str,
    period_key: str,
    fetch: Callable[[], list[dict[str, Any]]],
    *,
    redis: Any = None,
    wait_seconds: float = LOCK_SECONDS,
) -> list[dict[str, Any]]:
    """The listing ``name`` for the account's key in ``period_key``: fetched once, then reused.

    ``fetch`` returns JSON-able rows (all clients of the key). A caller that finds another
    fetching waits for its result; if that one dies, the lock expires and a waiter fetches.
    """
    r = redis or redis_client()
    base = f"leadops:listing:{key_group(account)}:{name}:{period_key}"
    deadline = time.monotonic() + wait_seconds
    while True:
        cached = r.get(base)
        if cached is not None:
            rows: list[dict[str, Any]] = json.loads(cached)
            return rows
        if r.set(base + ":lock", "1", nx=True, ex=LOCK_SECONDS):
            try:
                rows = fetch()
                r.set(base, json.dumps(rows, separators=(",", ":")), ex=LISTING_TTL_SECONDS)
                return rows
            finally:
                r.delete(base + ":lock")
        if time.monotonic() > deadline:
            return fetch()
        time.sleep(WAIT_STEP_SECONDS)


def rows_for_client(
    rows: Iterable[dict[str, Any]], client_id: int | None, field: str = "client_id"
) -> list[dict[str, Any]]:
    """The rows of one client of an agency key; every row when the account has no client id."""
    if client_id is None:
        return list(rows)
    return [row for row in rows if _as_int(row.get(field)) == int(client_id)]


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
