"""Reading the day-wise analytics answers (pure: no I/O, no clock).

What the API does (shared/smartlead-api.md, "Analytics"): the payload is wrapped in ``{success,
message, data: {day_wise_stats: [...]}}`` (bare answers are accepted too); counts come as
strings, rates as "5.03%"; a day is ``"2026-04-20"`` or ``"20 Apr"`` with no year, which only
the requested window can place (a window across New Year holds both December and January).
Days are ``datetime.date`` from here on: never compared or sorted as text.

A day of the requested window that the answer leaves out is stored as zeros (the API answered
for the window; it omits days without activity) and listed in ``Series.missing``, so the run
summary shows it. A row that falls outside the window is never stored (``Series.outside``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from workers.campaign_stats import DayFigures
from workers.clients.errors import PermanentError
from workers.clients.smartlead_models import DayWiseStats, EngagementMetrics

MONTHS = {
    name: i + 1
    for i, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    )
}
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?")
_DAY_MONTH = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?[ -]([A-Za-z]{3,9})\.?(?:,? (\d{4}))?")
_MONTH_DAY = re.compile(r"([A-Za-z]{3,9})\.? (\d{1,2})(?:st|nd|rd|th)?(?:,? (\d{4}))?")


class AnalyticsParseError(PermanentError):
    """An analytics answer LeadOps cannot read: the message names the value and the window."""

    def __init__(self, message: str) -> None:
        super().__init__(message, service="smartlead")


def days_in(start: dt.date, end: dt.date) -> list[dt.date]:
    """Every date of [start, end], in order."""
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def resolve_day(
    text: str, start: dt.date, end: dt.date, day_name: str | None = None
) -> dt.date | None:
    """The date a row's ``date`` names, placed in the requested window [start, end].

    ISO and dated forms are taken as they are; ``"20 Apr"`` takes the year that puts it inside
    the window (``day_name``, when given, settles a window longer than a year). ``None`` when
    the day cannot lie in the window; ``AnalyticsParseError`` when the text is no date at all.
    """
    raw = " ".join(str(text).split())
    iso = _ISO.fullmatch(raw)
    if iso:
        return _date(int(iso[1]), int(iso[2]), int(iso[3]), raw)
    found = _DAY_MONTH.fullmatch(raw)
    if found:
        day, month_name, year = int(found[1]), found[2], found[3]
    else:
        found = _MONTH_DAY.fullmatch(raw)
        if not found:
            raise AnalyticsParseError(f"analytics day {raw!r} is not a date")
        month_name, day, year = found[1], int(found[2]), found[3]
    month = MONTHS.get(month_name[:3].lower())
    if month is None:
        raise AnalyticsParseError(f"analytics day {raw!r}: unknown month {month_name!r}")
    if year:
        return _date(int(year), month, day, raw)
    candidates = []
    for y in range(start.year, end.year + 1):
        try:
            candidate = dt.date(y, month, day)
        except ValueError:  # 29 Feb outside a leap year, 31 Apr
            continue
        if start <= candidate <= end:
            candidates.append(candidate)
    weekday = _weekday(day_name)
    if weekday is not None and len(candidates) > 1:
        candidates = [c for c in candidates if c.weekday() == weekday]
    if len(candidates) > 1:
        raise AnalyticsParseError(
            f"analytics day {raw!r} is ambiguous in the window {start}..{end}"
        )
    return candidates[0] if candidates else None


def _date(year: int, month: int, day: int, raw: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise AnalyticsParseError(f"analytics day {raw!r} is not a valid date") from None


def _weekday(day_name: str | None) -> int | None:
    name = (day_name or "").strip().lower()[:3]
    for i, full in enumerate(DAY_NAMES):
        if name and full.startswith(name):
            return i
    return None


@dataclass
class Series:
    """One endpoint's answer for one window, by date."""

    start: dt.date
    end: dt.date
    days: dict[dt.date, EngagementMetrics] = field(default_factory=dict)
    missing: list[dt.date] = field(default_factory=list)  # window days the answer left out
    outside: list[str] = field(default_factory=list)  # rows no window day matches (raw text)

    def get(self, day: dt.date) -> EngagementMetrics:
        return self.days.get(day) or EngagementMetrics()


def series(
    answer: DayWiseStats | Mapping[str, Any] | list[Any], start: dt.date, end: dt.date
) -> Series:
    """A day-wise answer (the client's model, or the raw payload, wrapped or bare) by date."""
    if end < start:
        raise ValueError(f"window ends before it starts: {start}..{end}")
    stats = answer if isinstance(answer, DayWiseStats) else _validated(answer)
    out = Series(start, end)
    for row in stats.day_wise_stats:
        day = resolve_day(row.date, start, end, row.day_name)
        if day is None or not start <= day <= end:
            out.outside.append(row.date)
            continue
        if day in out.days:
            raise AnalyticsParseError(
                f"analytics day {day} appears twice in one answer ({start}..{end}): rows are "
                "expected summed across the filter"
            )
        out.days[day] = row.email_engagement_metrics
    out.missing = [d for d in days_in(start, end) if d not in out.days]
    return out


def _validated(answer: Any) -> DayWiseStats:
    try:
        return DayWiseStats.from_answer(answer)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise AnalyticsParseError(f"day-wise analytics answer not understood: {exc}") from None


def joined(parts: Iterable[Series]) -> Series:
    """Consecutive windows' answers of one endpoint as one series."""
    parts = sorted(parts, key=lambda p: p.start)
    if not parts:
        raise ValueError("no series to join")
    out = Series(parts[0].start, parts[-1].end)
    for part in parts:
        out.days.update(part.days)
        out.missing.extend(part.missing)
        out.outside.extend(part.outside)
    return out


def day_figures(overall: Series, by_sent: Series, positive: Series) -> list[DayFigures]:
    """The store's rows for the window of ``overall``: every day of it, from three answers.

    ``overall`` (replies by arrival day) gives sent, opened, replied, bounced, unsubscribed;
    ``by_sent`` (the ``-by-sent-time`` variant, which may reach further back) gives
    ``replied_by_sent``; ``positive`` gives ``positive_replied`` (by arrival day, like
    ``replied``).
    """
    if (overall.start, overall.end) != (positive.start, positive.end) or not (
        by_sent.start <= overall.start and by_sent.end == overall.end
    ):
        raise ValueError("the series must cover the same window (by_sent may start earlier)")
    rows = []
    for day in days_in(overall.start, overall.end):
        o = overall.get(day)
        rows.append(
            DayFigures(
                day=day,
                sent=o.sent,
                opened=o.opened,
                replied=o.replied,
                replied_by_sent=by_sent.get(day).replied,
                positive_replied=positive.get(day).positive_replied,
                bounced=o.bounced,
                unsubscribed=o.unsubscribed,
            )
        )
    return rows


def cohort_replies(by_sent: Series, before: dt.date) -> dict[dt.date, int]:
    """``replied_by_sent`` of the days before ``before``: send days whose replies are still
    arriving (a cohort matures for weeks after the day itself was collected)."""
    return {
        d: by_sent.get(d).replied for d in days_in(by_sent.start, before - dt.timedelta(days=1))
    }


def notes(all_series: Iterable[Series]) -> dict[str, int]:
    """How many window days came back missing / rows fell outside, for the run summary."""
    missing = outside = 0
    for s in all_series:
        missing += len(s.missing)
        outside += len(s.outside)
    return {"missing_days": missing, "rows_outside_window": outside}
