"""The process's Redis client (buffers, claims, locks, caches): one per process, a forked worker
gets its own. Celery's broker connection is separate."""

from __future__ import annotations

import os
from typing import Any

import redis

from workers.settings import get_settings

_clients: dict[tuple[int, str], Any] = {}


def redis_client() -> Any:
    """A Redis client for this process, on the configured URL (a new one when either changed)."""
    url = get_settings().resolved_redis_url()
    key = (os.getpid(), url)
    client = _clients.get(key)
    if client is None:
        _clients.clear()
        client = _clients[key] = redis.Redis.from_url(url)
    return client


def reset_redis_client() -> None:
    """Forget the client (tests that change the Redis URL)."""
    _clients.clear()
