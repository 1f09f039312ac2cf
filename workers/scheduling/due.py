"""When a check is due for an account: pure functions of (check, local time, zone, now in UTC).

Beat only ticks in UTC; these functions turn "08:00 Europe/Paris, every day" into instants with
``zoneinfo``. A local period is a local date ("2026-12-01") or an ISO week ("2026-W49"). Its due
instant is the first instant at which the local clock reads the due time or later:

- a due time the clock springs over (02:30 on a spring-forward day) is due at the transition,
  once that day;
- a due time that happens twice (fall-back day) is due at its first occurrence, and the claim
  is per local period, so the second occurrence does nothing.

A tick runs the latest period whose due instant has passed (catch-up after a Beat outage), unless
that period ended more than the check's grace ago (no pile of stale runs after a long outage).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from workers.scheduling.check import Period, ScheduledCheck

UTC = dt.UTC


@dataclass(frozen=True)
class Slot:
    """One local period of one check in one zone, with its instants in UTC."""

    period_key: str
    start: dt.date  # first local date of the period
    end: dt.date  # last local date of the period
    due_at: dt.datetime  # UTC: when the local due time is reached
    ends_at: dt.datetime  # UTC: first instant of the next period

    def eligible(self, now: dt.datetime, grace: dt.timedelta) -> bool:
        """Due, and its period did not end longer than ``grace`` ago."""
        return self.due_at <= now < self.ends_at + grace


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """The IANA zone (``ZoneInfoNotFoundError``/``ValueError`` for an unknown name)."""
    return ZoneInfo(name)


def parse_local_time(value: Any) -> dt.time:
    """ "HH:MM" or "HH:MM:SS" (or a ``time``) -> ``time``; a clear ValueError otherwise."""
    if isinstance(value, dt.time):
        return value.replace(tzinfo=None)
    text = str(value).strip()
    parts = text.split(":")
    try:
        if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
            raise ValueError
        hms = [int(p) for p in parts]
        return dt.time(hms[0], hms[1], hms[2] if len(hms) == 3 else 0)
    except ValueError:
        raise ValueError(f"local time must be HH:MM (or HH:MM:SS), not {text!r}") from None


def effective_local_time(check: ScheduledCheck, params: Any) -> dt.time:
    """The account's due time: ``params.local_time`` ("HH:MM") or ``params.local_hour`` (int)
    when the check's params model has one, else the check's own ``local_time``."""
    local_time = getattr(params, "local_time", None)
    if local_time not in (None, ""):
        return parse_local_time(local_time)
    local_hour = getattr(params, "local_hour", None)
    if local_hour is not None:
        return dt.time(int(local_hour))
    return check.local_time


def wall_to_utc(day: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime:
    """The first instant at which the local clock in ``tz`` reads ``day time`` or later."""
    naive = dt.datetime.combine(day, time)
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    back = first.astimezone(tz).replace(tzinfo=None)
    if back == naive:  # exists; fold=0 is the first of a repeated wall time
        return first
    # In a gap (the clock jumped over ``naive``): fold=0 used the offset before the jump, so
    # ``first`` lies ``back - naive`` after the same wall time read with the offset after it.
    # The jump itself is between the two: find the first instant whose wall time >= naive.
    lo = int((first - (back - naive)).timestamp())
    hi = int(first.timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if dt.datetime.fromtimestamp(mid, tz).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid
    return dt.datetime.fromtimestamp(hi, UTC)


def period_bounds(period: Period, local_date: dt.date) -> tuple[str, dt.date, dt.date]:
    """(key, first date, last date) of the local period holding ``local_date``."""
    if period == "day":
        return local_date.isoformat(), local_date, local_date
    if period == "week":
        year, week, weekday = local_date.isocalendar()
        start = local_date - dt.timedelta(days=weekday - 1)
        return f"{year}-W{week:02d}", start, start + dt.timedelta(days=6)
    raise ValueError(f"unknown period {period!r}: day or week")


def bounds_of_key(period: Period, key: str) -> tuple[dt.date, dt.date]:
    """First and last local date of a period key ("2026-12-01", "2026-W49")."""
    if period == "day":
        day = dt.date.fromisoformat(key)
        return day, day
    year, week = key.split("-W")
    start = dt.date.fromisocalendar(int(year), int(week), 1)
    return start, start + dt.timedelta(days=6)


def slot_for(
    period: Period, weekday: int, local_time: dt.time, tz: ZoneInfo, local_date: dt.date
) -> Slot:
    """The slot of the period holding ``local_date``."""
    key, start, end = period_bounds(period, local_date)
    due_day = start if period == "day" else start + dt.timedelta(days=weekday)
    return Slot(
        period_key=key,
        start=start,
        end=end,
        due_at=wall_to_utc(due_day, local_time, tz),
        ends_at=wall_to_utc(end + dt.timedelta(days=1), dt.time(0), tz),
    )


def current_slot(
    check: ScheduledCheck, local_time: dt.time, tz: ZoneInfo, now: dt.datetime
) -> Slot:
    """The slot of the local period ``now`` falls in."""
    return slot_for(check.period, check.weekday, local_time, tz, now.astimezone(tz).date())


def latest_due(check: ScheduledCheck, local_time: dt.time, tz: ZoneInfo, now: dt.datetime) -> Slot:
    """The latest slot whose due instant is not after ``now`` (maybe long past its grace)."""
    cur = current_slot(check, local_time, tz, now)
    if cur.due_at <= now:
        return cur
    return slot_for(check.period, check.weekday, local_time, tz, cur.start - dt.timedelta(days=1))


def due_slot(
    check: ScheduledCheck,
    local_time: dt.time,
    tz: ZoneInfo,
    now: dt.datetime,
    since: dt.datetime | None = None,
) -> Slot | None:
    """The slot a tick at ``now`` should run (if not run yet), or None: nothing is due, or the
    latest due period ended more than ``check.grace`` ago.

    ``since`` (when the account's setting was enabled or changed): a past period whose due
    instant came before it was never scheduled, so it is not caught up (enabling a check at
    07:05 does not run yesterday's 08:00 period; today's runs at 08:00).
    """
    slot = latest_due(check, local_time, tz, now)
    if not slot.eligible(now, check.grace) or never_scheduled(slot, now, since):
        return None
    return slot


def never_scheduled(slot: Slot, now: dt.datetime, since: dt.datetime | None) -> bool:
    """A period already over whose due instant came before ``since`` (the check was enabled or
    changed later): not a missed run, so no catch-up."""
    return since is not None and slot.ends_at <= now and _aware(since) > slot.due_at


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands timestamps back naive (stored in UTC)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def next_slot(
    check: ScheduledCheck,
    local_time: dt.time,
    tz: ZoneInfo,
    now: dt.datetime,
    claimed: set[str] | frozenset[str] = frozenset(),
    since: dt.datetime | None = None,
) -> Slot:
    """The next slot that will run: the due one when it is unclaimed, else the first period
    whose due instant is after ``now``."""
    slot = due_slot(check, local_time, tz, now, since)
    if slot is not None and slot.period_key not in claimed:
        return slot
    cur = current_slot(check, local_time, tz, now)
    if cur.due_at > now:
        return cur
    return slot_for(check.period, check.weekday, local_time, tz, cur.end + dt.timedelta(days=1))


__all__ = [
    "Slot",
    "bounds_of_key",
    "current_slot",
    "due_slot",
    "effective_local_time",
    "latest_due",
    "never_scheduled",
    "next_slot",
    "parse_local_time",
    "period_bounds",
    "slot_for",
    "wall_to_utc",
    "zone",
]
