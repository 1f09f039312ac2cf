"""The Smartlead calls of the snapshot, and how a date range is cut into the API's windows.

Per campaign and window, three day-wise calls with that campaign alone (rows are summed across
the ``campaign_ids`` filter): overall (replies by arrival day), overall ``-by-sent-time``
(replies by the day their email was sent; ``timezone`` required) and positive replies. All
three carry the account's time zone, so a "day" is the account's local day. Plus one lifetime
call per campaign. A range longer than the window cap (30 days, unsure) is split.

The by-sent-time series reaches back ``cohort_days`` (default 30) even when only the last few
days are collected: replies to a send day keep arriving long after that day was stored, and a
reply rate by send day is only right once they are counted. One call covers it up to the cap.
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
LIFETIME_CALLS = 1  # /campaigns/{id}/analytics: totals, status, lead counts
# A send day's replies keep arriving for weeks: its by-sent-time count is re-read for this long
# (free up to the window cap: one call covers it).
DEFAULT_COHORT_DAYS = 30


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


def calls_for_range(
    days: int, max_days: int = MAX_WINDOW_DAYS, cohort_days: int = DEFAULT_COHORT_DAYS
) -> int:
    """API calls one campaign costs to collect ``days`` days (its lifetime call included);
    the by-sent-time series covers at least the last ``cohort_days`` days."""
    windows = math.ceil(max(days, 1) / max_days)
    cohort_windows = math.ceil(max(days, cohort_days, 1) / max_days)
    return 2 * windows + cohort_windows + LIFETIME_CALLS


def calls_per_day(
    campaigns: int,
    *,
    new_campaigns: int = 0,
    correction_days: int = 2,
    backfill_days: int = 30,
    cohort_days: int = DEFAULT_COHORT_DAYS,
    max_days: int = MAX_WINDOW_DAYS,
    listing: bool = True,
) -> int:
    """API calls one account costs on one day: the campaign listing (once per key, shared by
    the accounts on it) + each known campaign's re-collected days + each new one's backfill."""
    known = campaigns - new_campaigns
    return (
        int(listing)
        + known * calls_for_range(correction_days + 1, max_days, cohort_days)
        + new_campaigns * calls_for_range(backfill_days, max_days, cohort_days)
    )


@dataclass
class Collected:
    lifetime: CampaignAnalytics
    overall: parse.Series
    by_sent: parse.Series
    positive: parse.Series

    @property
    def days(self) -> list[DayFigures]:
        """The collected days, whole (the window of ``overall``)."""
        return parse.day_figures(self.overall, self.by_sent, self.positive)

    @property
    def cohort(self) -> dict[dt.date, int]:
        """``replied_by_sent`` of earlier send days, re-read (only when that answer had rows)."""
        if not self.by_sent.days:
            return {}
        return parse.cohort_replies(self.by_sent, self.overall.start)

    @property
    def answered(self) -> bool:
        """False when the overall series came back with no row at all."""
        return bool(self.overall.days)

    @property
    def series(self) -> list[parse.Series]:
        return [self.overall, self.by_sent, self.positive]


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
    cohort_days: int = DEFAULT_COHORT_DAYS,
) -> tuple[parse.Series, parse.Series, parse.Series]:
    """[start, end] of one campaign (the by-sent-time series from ``cohort_days`` back), in as
    few calls as the window cap allows."""
    common: dict[str, Any] = {"campaign_ids": [campaign_id], "timezone": timezone}
    cohort_start = min(start, end - dt.timedelta(days=max(cohort_days, 1) - 1))

    def read(name: str, call: Callable[..., Any], first: dt.date, **kw: Any) -> parse.Series:
        return parse.joined(
            parse.series(counted(calls, name, call, ws, we, **common, **kw), ws, we)
            for ws, we in split_windows(first, end, max_days)
        )

    overall = read("day_wise_overall", client.get_day_wise_overall_stats, start)
    by_sent = read(
        "day_wise_overall_by_sent_time",
        client.get_day_wise_overall_stats,
        cohort_start,
        by_sent_time=True,
    )
    positive = read("day_wise_positive", client.get_day_wise_positive_reply_stats, start)
    return overall, by_sent, positive


def collect(
    client: SmartleadClient,
    campaign_id: int,
    start: dt.date,
    end: dt.date,
    timezone: str,
    calls: Counter[str],
    max_days: int = MAX_WINDOW_DAYS,
    cohort_days: int = DEFAULT_COHORT_DAYS,
) -> Collected:
    """Lifetime first (a deleted campaign answers 404 there, before any day-wise call)."""
    totals = counted(calls, "campaign_analytics", client.get_campaign_analytics, campaign_id)
    overall, by_sent, positive = day_wise(
        client, campaign_id, start, end, timezone, calls, max_days, cohort_days
    )
    return Collected(totals, overall, by_sent, positive)
