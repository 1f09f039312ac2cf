"""The 7-day warm-up stats, asked only where reputation alone cannot decide.

Cost: one ``GET /email-accounts/{id}/warmup-stats`` per such mailbox and morning, on the key's
bulk lane (the default plan's 10 per 2 s / 60 per minute are shared with every other automation
of the key), at most ``warmup_stats_max_calls`` per account and morning. Answers are kept in
Redis for the local day, so a run the limiter cut short (``RateLimitDeferred``) resumes where it
stopped instead of asking again, and cannot loop.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from tasks.mailbox_health.parse import MailboxReading, WarmupFigures, parse_warmup_stats
from tasks.mailbox_health.rules import Previous, Thresholds, needs_warmup_stats
from workers.clients.errors import ApiError
from workers.clients.smartlead_models import WarmupStats
from workers.logging import get_logger

CACHE_TTL_SECONDS = 36 * 3600

log = get_logger("tasks.mailbox_health.warmup")


class WarmupReader(Protocol):
    def get_warmup_stats(self, email_account_id: int) -> WarmupStats: ...


@dataclass
class WarmupResult:
    figures: dict[str, WarmupFigures] = field(default_factory=dict)
    calls: int = 0  # requests made this run
    cached: int = 0  # answers reused from an earlier attempt today
    skipped: int = 0  # wanted, but over the call budget
    failed: int = 0


def cache_key(account_id: int, period_key: str) -> str:
    return f"leadops:mailbox_health:warmup:{account_id}:{period_key}"


def wanted(
    readings: Iterable[MailboxReading], th: Thresholds, previous: Mapping[str, Previous]
) -> list[MailboxReading]:
    """The mailboxes whose verdict the stats could change, in listing order."""
    return [
        r
        for r in readings
        if needs_warmup_stats(r, th, previous[r.id].reasons if r.id in previous else ())
    ]


def fetch(
    client: WarmupReader,
    readings: list[MailboxReading],
    *,
    max_calls: int,
    redis: Any,
    key: str,
) -> WarmupResult:
    """Stats for ``readings`` (already filtered by ``wanted``), cached ones first."""
    out = WarmupResult()
    raw = redis.hgetall(key) if readings else {}
    cached = {_text(k): _text(v) for k, v in raw.items()}
    spent = len(cached)  # the budget is per morning, across attempts
    for r in readings:
        if r.id in cached:
            out.figures[r.id] = WarmupFigures.from_json(json.loads(cached[r.id]))
            out.cached += 1
            continue
        if spent + out.calls >= max_calls:
            out.skipped += 1
            continue
        out.calls += 1
        try:
            figures = parse_warmup_stats(client.get_warmup_stats(int(r.id)))
        except ApiError as exc:  # one mailbox's stats missing must not stop the morning
            out.failed += 1
            log.info("warmup_stats_failed", mailbox_id=r.id, error=exc.message)
            continue
        out.figures[r.id] = figures
        redis.hset(key, r.id, json.dumps(figures.as_json()))
        redis.expire(key, CACHE_TTL_SECONDS)
    return out


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


__all__ = ["WarmupResult", "cache_key", "fetch", "wanted"]
