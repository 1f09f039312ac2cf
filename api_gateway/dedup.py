"""Event identity: a deterministic event id per sender event, and its dedup key in Redis.

Senders retry, so the same event may arrive several times. Its identity is the sender's event
id when it has one, else a hash of the fields that identify it. The event id is a hash of the
account, the source and that identity: the same event always gets the same id, and ids of
different accounts never collide. The key ``leadops:dedup:<account>:<event id>`` is set (NX,
with the retention TTL) in the same Redis script that enqueues the task, so an event is only
ever marked seen once its task is in the queue (see enqueue.py).
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

DEDUP_PREFIX = "leadops:dedup:"


def identity_hash(*parts: Any) -> str:
    """A stable hash of identifying fields (order matters; None and "" are distinct)."""
    return hashlib.sha256(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)).hexdigest()


def event_id_for(account_id: int, source: str, identity: str) -> str:
    digest = hashlib.sha256(f"{account_id}\x1f{source}\x1f{identity}".encode()).hexdigest()
    return f"{source}-{digest[:32]}"


def dedup_key(account_id: int, event_id: str) -> str:
    return f"{DEDUP_PREFIX}{account_id}:{event_id}"
