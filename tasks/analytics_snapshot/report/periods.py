"""Report periods in the account's local days, and the period each is compared against.

A day is complete once it is over in the account's time zone, and the snapshot stores the
previous local day: so every period ends yesterday at the latest. Pure: ``today`` is given.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

LAST_30_DAYS = "last-30-days"
MAX_DAYS = 366
MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class PeriodError(ValueError):
    """A period that cannot be reported (wrong form, not over yet, too long)."""


@dataclass(frozen=True)
class Period:
    key: str  # stable, URL-safe: "last-30-days", "2026-11", "2026-11-03--2026-11-09"
    label: str
    start: dt.date
    end: dt.date
    partial: bool = False  # a month still running (month to date)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dates(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range(self.days)]


def local_today(timezone: str, now: dt.datetime | None = None) -> dt.date:
    """Today's date in the account's time zone (``now`` must be aware; default: the clock)."""
    moment = now or dt.datetime.now(dt.UTC)
    return moment.astimezone(ZoneInfo(timezone)).date()


def _short(day: dt.date) -> str:
    return f"{day.day} {day:%b}"


def span_label(start: dt.date, end: dt.date) -> str:
    if start == end:
        return f"{_short(start)} {start.year}"
    if start.year == end.year:
        return f"{_short(start)} – {_short(end)} {end.year}"
    return f"{_short(start)} {start.year} – {_short(end)} {end.year}"


def last_days(today: dt.date, n: int = 30) -> Period:
    end = today - dt.timedelta(days=1)
    start = end - dt.timedelta(days=n - 1)
    return Period(LAST_30_DAYS if n == 30 else f"last-{n}-days", f"Last {n} days", start, end)


def month(spec: str, today: dt.date) -> Period:
    """A calendar month ``YYYY-MM``; the current one runs to yesterday (month to date)."""
    m = MONTH_RE.match(spec.strip())
    if not m:
        raise PeriodError(f"month must look like 2026-11, got {spec!r}")
    year, mon = int(m.group(1)), int(m.group(2))
    start = dt.date(year, mon, 1)
    last = dt.date(year, mon, calendar.monthrange(year, mon)[1])
    yesterday = today - dt.timedelta(days=1)
    if start > yesterday:
        raise PeriodError(
            f"{spec} has no complete day yet (the latest complete day is {yesterday.isoformat()})"
        )
    name = f"{calendar.month_name[mon]} {year}"
    if last > yesterday:
        return Period(spec, f"{name} (to {_short(yesterday)})", start, yesterday, partial=True)
    return Period(spec, name, start, last)


def custom(start: dt.date, end: dt.date, today: dt.date) -> Period:
    yesterday = today - dt.timedelta(days=1)
    if end < start:
        raise PeriodError(f"--to {end.isoformat()} is before --from {start.isoformat()}")
    if end > yesterday:
        raise PeriodError(
            f"--to {end.isoformat()} is not over yet in the account's time zone; "
            f"the latest complete day is {yesterday.isoformat()}"
        )
    if (end - start).days + 1 > MAX_DAYS:
        raise PeriodError(f"a report covers at most {MAX_DAYS} days")
    return Period(f"{start.isoformat()}--{end.isoformat()}", span_label(start, end), start, end)


def parse_key(key: str, today: dt.date) -> Period:
    """The period a stored key or ``--period`` names: ``last-30-days`` or ``YYYY-MM``."""
    if key == LAST_30_DAYS:
        return last_days(today)
    if MONTH_RE.match(key):
        return month(key, today)
    raise PeriodError(f"unknown period {key!r}: use {LAST_30_DAYS} or a month like 2026-11")


def resolve(
    today: dt.date,
    *,
    period: str | None = None,
    month_spec: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Period:
    """Exactly one of: ``period``, ``month_spec``, or ``start`` and ``end`` together."""
    given = sum(x is not None for x in (period, month_spec)) + (
        1 if start is not None or end is not None else 0
    )
    if given > 1:
        raise PeriodError("give one of --from/--to, --period or --month")
    if start is not None or end is not None:
        if start is None or end is None:
            raise PeriodError("--from and --to go together")
        return custom(start, end, today)
    if month_spec is not None:
        return month(month_spec, today)
    return parse_key(period or LAST_30_DAYS, today)


def previous(p: Period) -> Period:
    """What ``p`` is compared against.

    A whole month: the month before. A month to date (N days): the first N days of the month
    before, so both sides have as many days. Any other span: as many days just before it.
    """
    if MONTH_RE.match(p.key):
        first = (p.start - dt.timedelta(days=1)).replace(day=1)
        last = p.start - dt.timedelta(days=1)
        if p.partial:
            end = min(first + dt.timedelta(days=p.days - 1), last)
            return Period(f"{first:%Y-%m}", span_label(first, end), first, end)
        return Period(
            f"{first:%Y-%m}", f"{calendar.month_name[first.month]} {first.year}", first, last
        )
    end = p.start - dt.timedelta(days=1)
    start = end - dt.timedelta(days=p.days - 1)
    return Period(f"{start.isoformat()}--{end.isoformat()}", span_label(start, end), start, end)


def standard_periods(today: dt.date) -> list[Period]:
    """What is rendered and stored for the link: last 30 days, this month, last month."""
    out = [last_days(today)]
    yesterday = today - dt.timedelta(days=1)
    this_month = f"{today:%Y-%m}"
    if yesterday.month == today.month:  # the month has at least one complete day
        out.append(month(this_month, today))
    out.append(month(f"{(today.replace(day=1) - dt.timedelta(days=1)):%Y-%m}", today))
    return out
