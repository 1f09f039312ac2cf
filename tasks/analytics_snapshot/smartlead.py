"""The Smartlead calls of the snapshot, and how a date range is cut into the API's windows.

Per campaign and window, three day-wise calls with that campaign alone (rows are summed across
the ``campaign_ids`` filter): overall (replies by arrival day), overall ``-by-sent-time``
(replies by the day their email was sent; ``timezone`` required) and positive replies. All
three carry the account's time zone, so a "day" is the account's local day. Plus one lifetime
call per campaign. A range longer than the window cap (30 days, unsure) is split.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from tasks.analytics_snapshot import parse
from workers.campaign_stats import DayFigures
from workers.clients.errors import ApiError
from workers.clients.smartlead import SmartleadClient
from workers.clients.smartlead_models import CampaignAnalytics

T = TypeVar("T")

MAX_WINDOW_DAYS = 30
DAY_WISE_CALLS = 3  # overall, overall by sent time, positive replies
LIFETIME_CALLS = 1  # /campaigns/{id}/analytics: totals, status, lead counts


def split_windows(
    start: dt.date, end: dt.date, max_days: int = MAX_WINDOW_DAYS
) -> list[tuple[dt.date, dt.date]]:
    """[start, end] as consecutive windows of at most ``max_days`` days, oldest first."""
    if max_days < 1:
        raise ValueError("max_days must be at least 1")
    if end < start:
        return []
    out = []
    cursor = start
    while cursor <= end:
        last = min(end, cursor + dt.timedelta(days=max_days - 1))
        out.append((cursor, last))
        cursor = last + dt.timedelta(days=1)
    return out


def calls_for_range(days: int, max_days: int = MAX_WINDOW_DAYS) -> int:
    """API calls one campaign costs to collect ``days`` days (its lifetime call included)."""
    return DAY_WISE_CALLS * math.ceil(max(days, 1) / max_days) + LIFETIME_CALLS


def calls_per_day(
    campaigns: int,
    *,
    new_campaigns: int = 0,
    correction_days: int = 2,
    backfill_days: int = 30,
    max_days: int = MAX_WINDOW_DAYS,
    listing: bool = True,
) -> int:
    """API calls one account costs on one day: the campaign listing (once per key, shared by
    the accounts on it) + each known campaign's re-collected days + each new one's backfill."""
    known = campaigns - new_campaigns
    return (
        int(listing)
        + known * calls_for_range(correction_days + 1, max_days)
        + new_campaigns * calls_for_range(backfill_days, max_days)
    )


@dataclass
class Collected:
    days: list[DayFigures]
    lifetime: CampaignAnalytics
    series: list[parse.Series]

    @property
    def answered(self) -> bool:
        """False when the overall series came back with no row at all in any window."""
        return any(s.days for s in self.series[0::3])


def counted(calls: Counter[str], name: str, call: Callable[..., T], *args: Any, **kw: Any) -> T:
    """``call(*args, **kw)``, counted once it reached the API (answered or failed); a call the
    shared limiter deferred (``RateLimitDeferred``) was never sent and is not counted."""
    try:
        result = call(*args, **kw)
    except ApiError:
        calls[name] += 1
        raise
    calls[name] += 1
    return result


def day_wise(
    client: SmartleadClient,
    campaign_id: int,
    start: dt.date,
    end: dt.date,
    timezone: str,
    calls: Counter[str],
    max_days: int = MAX_WINDOW_DAYS,
) -> tuple[list[DayFigures], list[parse.Series]]:
    """Every day of [start, end] for one campaign, in as few calls as the window cap allows."""
    figures: list[DayFigures] = []
    seen: list[parse.Series] = []
    overall_stats = client.get_day_wise_overall_stats
    positive_stats = client.get_day_wise_positive_reply_stats
    for ws, we in split_windows(start, end, max_days):
        common = {"campaign_ids": [campaign_id], "timezone": timezone}
        overall = counted(calls, "day_wise_overall", overall_stats, ws, we, **common)
        by_sent = counted(
            calls,
            "day_wise_overall_by_sent_time",
            overall_stats,
            ws,
            we,
            by_sent_time=True,
            **common,
        )
        positive = counted(calls, "day_wise_positive", positive_stats, ws, we, **common)
        answers = [parse.series(a, ws, we) for a in (overall, by_sent, positive)]
        figures.extend(parse.day_figures(*answers))
        seen.extend(answers)
    return figures, seen


def collect(
    client: SmartleadClient,
    campaign_id: int,
    start: dt.date,
    end: dt.date,
    timezone: str,
    calls: Counter[str],
    max_days: int = MAX_WINDOW_DAYS,
) -> Collected:
    """Lifetime first (a deleted campaign answers 404 there, before any day-wise call)."""
    totals = counted(calls, "campaign_analytics", client.get_campaign_analytics, campaign_id)
    days, seen = day_wise(client, campaign_id, start, end, timezone, calls, max_days)
    return Collected(days, totals, seen)
