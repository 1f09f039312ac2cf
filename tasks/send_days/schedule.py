"""A campaign's schedule as read, turned into the six-field body the write needs.

The read side (``GET /campaigns/{id}``) shows ``scheduler_cron_value {tz, days, startHour,
endHour}``, ``min_time_btwn_emails`` and ``max_leads_per_day``; the write side
(``POST /campaigns/{id}/schedule``) wants ``timezone, days_of_the_week, start_hour, end_hour,
min_time_btw_emails, max_new_leads_per_day``, all six, flat. There is no partial update, so a
change of days sends every other field back as it was read, with only the read quirks fixed:
hours normalised to "HH:MM" (old campaigns hold "9"), a Sunday read as 7 written as 0, and a
gap under the API's minimum of 3 raised to 3 (noted, since the write would be refused).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workers.clients.smartlead_models import (
    MIN_GAP_MINUTES,
    Campaign,
    Schedule,
    normalise_hour,
    read_weekdays,
)


@dataclass(frozen=True)
class ScheduleRead:
    """The campaign's schedule ready to write back, or why it cannot be."""

    schedule: Schedule | None
    problem: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)  # read quirks fixed on the way


read_days = read_weekdays  # 0 = Sunday .. 6; a 7 read as Sunday; None if any is not a weekday


def _gap(value: Any) -> int | None:
    try:
        return int(str(value).strip()) if value is not None else None
    except ValueError:
        return None


def read_schedule(campaign: Campaign) -> ScheduleRead:
    """Map the read names to the write names; refuse what cannot be sent back unchanged."""
    cron = campaign.scheduler_cron_value
    if not cron:
        return ScheduleRead(None, "the campaign has no schedule (scheduler_cron_value is null)")
    notes: list[str] = []
    tz = str(cron.get("tz") or "").strip()
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return ScheduleRead(None, f"schedule time zone {tz!r} is not an IANA zone")
    days = read_days(cron.get("days"))
    if days is None:
        return ScheduleRead(None, f"schedule days {cron.get('days')!r} are not weekdays 0..6")
    if 7 in [_gap(d) for d in cron.get("days") or []]:
        notes.append("Sunday read as 7, written as 0")
    hours = {}
    for read_name, write_name in (("startHour", "start_hour"), ("endHour", "end_hour")):
        raw = cron.get(read_name)
        hour = normalise_hour(raw)
        if hour is None:
            return ScheduleRead(None, f"schedule {read_name} {raw!r} is not a time of day")
        if str(raw) != hour:
            notes.append(f"{read_name} {raw!r} normalised to {hour!r}")
        hours[write_name] = hour
    gap = _gap(campaign.min_time_btwn_emails)
    if gap is None:
        return ScheduleRead(None, "the campaign shows no min_time_btwn_emails to send back")
    if gap < MIN_GAP_MINUTES:
        notes.append(f"min gap {gap} raised to {MIN_GAP_MINUTES} (the API's minimum)")
        gap = MIN_GAP_MINUTES
    if campaign.max_leads_per_day is None:
        return ScheduleRead(None, "the campaign shows no max_leads_per_day to send back")
    schedule = Schedule(
        timezone=tz,
        days_of_the_week=days,
        min_time_btw_emails=gap,
        max_new_leads_per_day=int(campaign.max_leads_per_day),
        **hours,
    )
    return ScheduleRead(schedule, notes=tuple(notes))


def with_days(schedule: Schedule, days: list[int] | tuple[int, ...]) -> Schedule:
    """The same schedule with other weekdays: every other field exactly as it was."""
    return Schedule.model_validate({**schedule.model_dump(), "days_of_the_week": list(days)})
