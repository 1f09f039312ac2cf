"""Local due times: pure functions of (check, zone, now), DST-correct, and the dispatcher ticking
every 15 minutes while time-machine moves the clock across DST changes and midnight UTC."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
import time_machine

from workers.scheduling import ScheduledCheck
from workers.scheduling.due import (
    bounds_of_key,
    due_slot,
    effective_local_time,
    next_slot,
    parse_local_time,
    period_bounds,
    wall_to_utc,
    zone,
)

UTC = dt.UTC
DAILY = ScheduledCheck(name="schedule_probe", task_name="t")


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


# (zone, local date, local due time, expected due instant in UTC): worked out by hand.
DST_CASES = [
    # Paris springs 02:00 -> 03:00 (01:00 UTC): 02:30 never shows, due when the clock jumps.
    ("Europe/Paris", dt.date(2026, 3, 29), dt.time(2, 30), utc(2026, 3, 29, 1, 0)),
    # Paris falls 03:00 -> 02:00 (01:00 UTC): 02:30 shows twice, due at the first (CEST).
    ("Europe/Paris", dt.date(2026, 10, 25), dt.time(2, 30), utc(2026, 10, 25, 0, 30)),
    ("America/New_York", dt.date(2026, 3, 8), dt.time(2, 30), utc(2026, 3, 8, 7, 0)),
    # New York falls 02:00 EDT -> 01:00 EST: 01:30 first at EDT (UTC-4).
    ("America/New_York", dt.date(2026, 11, 1), dt.time(1, 30), utc(2026, 11, 1, 5, 30)),
    # Sydney (southern hemisphere): falls back on 5 April, springs forward on 4 October.
    ("Australia/Sydney", dt.date(2026, 4, 5), dt.time(2, 30), utc(2026, 4, 4, 15, 30)),
    ("Australia/Sydney", dt.date(2026, 10, 4), dt.time(2, 30), utc(2026, 10, 3, 16, 0)),
    # An ordinary day in each, for contrast.
    ("Europe/Paris", dt.date(2026, 12, 1), dt.time(8, 0), utc(2026, 12, 1, 7, 0)),
    ("Australia/Sydney", dt.date(2026, 12, 1), dt.time(8, 0), utc(2026, 11, 30, 21, 0)),
]


@pytest.mark.parametrize(("tz", "day", "local", "expected"), DST_CASES)
def test_due_instant_is_the_first_moment_the_local_clock_reaches_the_due_time(
    tz: str, day: dt.date, local: dt.time, expected: dt.datetime
) -> None:
    assert wall_to_utc(day, local, zone(tz)) == expected


def test_a_day_is_due_after_its_local_time_and_until_the_grace_after_it_ends() -> None:
    paris = zone("Europe/Paris")
    assert due_slot(DAILY, dt.time(8), paris, utc(2026, 12, 1, 6, 59)) is not None  # yesterday's
    assert due_slot(DAILY, dt.time(8), paris, utc(2026, 12, 1, 6, 59)).period_key == "2026-11-30"  # type: ignore[union-attr]
    assert due_slot(DAILY, dt.time(8), paris, utc(2026, 12, 1, 7, 0)).period_key == "2026-12-01"  # type: ignore[union-attr]
    tight = ScheduledCheck(name="x", task_name="t", grace=dt.timedelta(hours=1))
    # 2026-11-30 ended at 23:00 UTC; one hour of grace: nothing due at 00:30 UTC, 06:59 UTC.
    assert due_slot(tight, dt.time(8), paris, utc(2026, 12, 1, 0, 30)) is None
    assert due_slot(tight, dt.time(8), paris, utc(2026, 12, 1, 6, 59)) is None


def test_a_check_enabled_after_the_due_time_does_not_catch_up_the_previous_period() -> None:
    paris = zone("Europe/Paris")
    at = utc(2026, 12, 1, 5, 0)  # 06:00 Paris, before today's 08:00
    assert due_slot(DAILY, dt.time(8), paris, at, since=utc(2026, 11, 30, 6, 0)) is not None
    assert due_slot(DAILY, dt.time(8), paris, at, since=utc(2026, 12, 1, 4, 0)) is None
    # Today's own period runs even if enabled after its due time (same local day).
    later = utc(2026, 12, 1, 12, 0)
    slot = due_slot(DAILY, dt.time(8), paris, later, since=utc(2026, 12, 1, 11, 0))
    assert slot is not None and slot.period_key == "2026-12-01"


def test_weeks_are_iso_weeks_due_on_the_checks_weekday() -> None:
    weekly = ScheduledCheck(name="x", task_name="t", period="week", weekday=2)
    assert period_bounds("week", dt.date(2026, 12, 3)) == (
        "2026-W49",
        dt.date(2026, 11, 30),
        dt.date(2026, 12, 6),
    )
    assert bounds_of_key("week", "2026-W49") == (dt.date(2026, 11, 30), dt.date(2026, 12, 6))
    ny = zone("America/New_York")
    slot = next_slot(weekly, dt.time(9), ny, utc(2026, 12, 1, 12, 0))  # Tuesday
    assert slot.period_key == "2026-W49" and slot.due_at == utc(2026, 12, 2, 14, 0)
    after = next_slot(weekly, dt.time(9), ny, utc(2026, 12, 2, 15, 0), claimed={"2026-W49"})
    assert after.period_key == "2026-W50" and after.due_at == utc(2026, 12, 9, 14, 0)


def test_params_local_time_or_local_hour_override_the_checks_default() -> None:
    class WithTime:
        local_time = "06:45"

    class WithHour:
        local_hour = 7

    assert effective_local_time(DAILY, WithTime()) == dt.time(6, 45)
    assert effective_local_time(DAILY, WithHour()) == dt.time(7)
    assert effective_local_time(DAILY, object()) == dt.time(8)
    assert parse_local_time("07:05:30") == dt.time(7, 5, 30)
    with pytest.raises(ValueError, match="HH:MM"):
        parse_local_time("7h")


# ---- the dispatcher, ticking every 15 minutes while the clock moves ----------------------
def _tick_through(sched, check, start, end, step=dt.timedelta(minutes=15)):  # type: ignore[no-untyped-def]
    from workers.scheduling.dispatch import dispatch_check

    send = sched.worker()
    with time_machine.travel(start, tick=False) as traveller:
        now = start
        while now <= end:
            traveller.move_to(now)
            dispatch_check(check, send=send)
            now += step


@pytest.mark.parametrize(
    ("tz", "local", "day", "first_run_utc"),
    [
        ("Europe/Paris", "02:30", dt.date(2026, 3, 29), utc(2026, 3, 29, 1, 0)),
        ("Europe/Paris", "02:30", dt.date(2026, 10, 25), utc(2026, 10, 25, 0, 30)),
        ("America/New_York", "02:30", dt.date(2026, 3, 8), utc(2026, 3, 8, 7, 0)),
        ("America/New_York", "01:30", dt.date(2026, 11, 1), utc(2026, 11, 1, 5, 30)),
        ("Australia/Sydney", "02:30", dt.date(2026, 4, 5), utc(2026, 4, 4, 15, 30)),
        ("Australia/Sydney", "02:30", dt.date(2026, 10, 4), utc(2026, 10, 3, 16, 0)),
    ],
)
def test_ticking_across_a_dst_change_runs_the_due_time_once_per_local_day(
    sched, tz: str, local: str, day: dt.date, first_run_utc: dt.datetime
) -> None:  # type: ignore[no-untyped-def]
    """Given an account due at a local time the clock skips or repeats that day, when Beat ticks
    every 15 minutes from the day before to the day after, then each local day runs once,
    and the DST day's run happens at the first tick after the local clock reached the time."""
    check = sched.check()
    start = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(0), UTC)
    with time_machine.travel(start, tick=False):  # enabled then: no catch-up of earlier days
        sched.account("acme", tz, params={"local_time": local})
    _tick_through(sched, check, start, start + dt.timedelta(days=3))

    per_day = Counter(ctx.period_key for ctx, _ in sched.executed)
    assert set(per_day.values()) == {1}, per_day
    assert day.isoformat() in per_day
    ran_at = {ctx.period_key: at for ctx, at in sched.executed}
    assert ran_at[day.isoformat()] == first_run_utc
    assert all(r.state == "done" for r in sched.runs())
    # Every run happened on its own local date, never before its local due time.
    for ctx, at in sched.executed:
        local_at = at.astimezone(zone(tz))
        assert local_at.date().isoformat() == ctx.period_key
        assert local_at.time() >= parse_local_time(local)


def test_accounts_east_and_west_of_utc_run_on_their_own_local_dates_across_midnight_utc(
    sched,
) -> None:  # type: ignore[no-untyped-def]
    """Auckland's 08:00 is 19:00 UTC the day before; Los Angeles' 20:00 is 04:00 UTC the day
    after: ticking across three UTC midnights runs each once per local date, keyed by it."""
    check = sched.check()
    start = utc(2026, 11, 30, 0, 0)
    with time_machine.travel(start - dt.timedelta(days=1), tick=False):
        east = sched.account("auckland", "Pacific/Auckland", params={"local_time": "08:00"})
        west = sched.account("la", "America/Los_Angeles", params={"local_time": "20:00"})
    _tick_through(sched, check, start, utc(2026, 12, 3, 6, 0))

    by_account: dict[int, list[tuple[str, dt.datetime]]] = {east: [], west: []}
    for ctx, at in sched.executed:
        by_account[ctx.account_id].append((ctx.period_key, at))
    # At the first tick (11-30 00:00 UTC) Auckland's 11-30 08:00 has passed (11-29 19:00 UTC):
    # run at once; Los Angeles' latest due (11-28 20:00) ended more than the grace ago: not run.
    assert [p for p, _ in by_account[east]] == [
        "2026-11-30",
        "2026-12-01",
        "2026-12-02",
        "2026-12-03",
    ]
    assert by_account[east][1][1] == utc(2026, 11, 30, 19, 0)  # 08:00 NZDT, 12-01 local
    assert [p for p, _ in by_account[west]] == [
        "2026-11-29",
        "2026-11-30",
        "2026-12-01",
        "2026-12-02",
    ]
    assert by_account[west][1][1] == utc(2026, 12, 1, 4, 0)  # 20:00 PST, 11-30 local
