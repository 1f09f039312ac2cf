"""Windows (the API's 30-day cap), the calls a day costs, which campaigns and which days a run
collects, and the snapshot's parameters."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from tasks.analytics_snapshot.rules import (
    Known,
    Window,
    campaigns_to_collect,
    days_to_collect,
    local_date,
)
from tasks.analytics_snapshot.smartlead import calls_for_range, calls_per_day, split_windows
from workers.automations import AnalyticsSnapshotParams

D = dt.date
P = AnalyticsSnapshotParams


@pytest.mark.parametrize(
    ("days", "max_days", "expected"),
    [
        (1, 30, [1]),
        (3, 30, [3]),
        (30, 30, [30]),
        (31, 30, [30, 1]),
        (45, 30, [30, 15]),
        (61, 30, [30, 30, 1]),
        (10, 4, [4, 4, 2]),
    ],
)
def test_a_range_is_cut_into_contiguous_windows_within_the_cap(days, max_days, expected) -> None:
    start = D(2025, 12, 15)
    end = start + dt.timedelta(days=days - 1)
    windows = split_windows(start, end, max_days)
    assert [(b - a).days + 1 for a, b in windows] == expected
    assert windows[0][0] == start and windows[-1][1] == end
    for (_, prev_end), (next_start, _) in zip(windows, windows[1:], strict=False):
        assert next_start == prev_end + dt.timedelta(days=1)  # no gap, no overlap


def test_an_empty_range_has_no_window_and_a_cap_below_one_is_refused() -> None:
    assert split_windows(D(2026, 1, 2), D(2026, 1, 1)) == []
    with pytest.raises(ValueError):
        split_windows(D(2026, 1, 1), D(2026, 1, 2), 0)


def test_calls_per_campaign_are_a_small_constant_and_backfill_costs_the_same_up_to_30_days() -> (
    None
):
    assert calls_for_range(3) == 4  # three day-wise series + the lifetime call
    assert calls_for_range(30) == 4
    assert calls_for_range(45) == 7
    # the by-sent series re-reads 30 send days: free within one window, not with a small cap
    assert calls_for_range(3, max_days=7) == 2 + 5 + 1
    assert calls_for_range(3, max_days=7, cohort_days=3) == 4
    assert calls_per_day(10) == 1 + 40
    assert calls_per_day(10, new_campaigns=10) == 1 + 40
    assert calls_per_day(10, new_campaigns=2, backfill_days=60) == 1 + 8 * 4 + 2 * 7
    assert calls_per_day(10, listing=False) == 40  # a second account on the same key


def rows(*specs: tuple[int, str]) -> list[dict]:
    return [
        {"id": cid, "name": f"c{cid}", "status": status, "created_at": "2026-01-01T00:00:00Z"}
        for cid, status in specs
    ]


LISTING = rows((1, "ACTIVE"), (2, "PAUSED"), (3, "DRAFTED"), (4, "COMPLETED"), (5, "STOPPED"))


@pytest.mark.parametrize(
    ("params", "known", "expected_ids", "absent"),
    [
        (P(), {}, [1, 2], []),
        (P(statuses=["active"]), {}, [1], []),
        (P(statuses=["ACTIVE", "PAUSED", "COMPLETED"]), {}, [1, 2, 4], []),
        # a known campaign that just left the statuses is collected one last time ...
        (P(), {"4": Known("ACTIVE", None, D(2026, 4, 1))}, [1, 2, 4], []),
        # ... and not again once its stored status says so
        (P(), {"4": Known("COMPLETED", None, D(2026, 4, 2))}, [1, 2], []),
        (P(campaign_ids=["5", "3", "99"]), {}, [3, 5], ["99"]),
    ],
)
def test_which_campaigns_a_run_collects(params, known, expected_ids, absent) -> None:
    picks, missing = campaigns_to_collect(LISTING, params, known, "UTC")
    assert [p.campaign_id for p in picks] == expected_ids
    assert missing == absent


def test_a_pick_carries_status_name_and_local_creation_day() -> None:
    listing = [
        {"id": "7", "name": "Q3", "status": "active", "created_at": "2026-03-01T02:00:00.000Z"}
    ]
    (pick,) = campaigns_to_collect(listing, P(), {}, "America/New_York")[0]
    assert (pick.campaign_id, pick.name, pick.status) == (7, "Q3", "ACTIVE")
    assert pick.created_on == D(2026, 2, 28)  # 02:00 UTC is still the evening before in New York


def test_unreadable_creation_stamps_are_unknown() -> None:
    assert local_date(None, "UTC") is None and local_date("soon", "UTC") is None
    assert local_date("2026-03-01T10:00:00", "Europe/Paris") == D(2026, 3, 1)


DAY = D(2026, 4, 20)


@pytest.mark.parametrize(
    ("known", "created_on", "params", "expected"),
    [
        # first seen: the last 30 days
        (None, None, P(), Window(D(2026, 3, 22), DAY, True)),
        (Known("ACTIVE", None, None), None, P(), Window(D(2026, 3, 22), DAY, True)),
        (None, None, P(backfill_days=45), Window(D(2026, 3, 7), DAY, True)),
        # ... never before the campaign existed
        (None, D(2026, 4, 10), P(), Window(D(2026, 4, 10), DAY, True)),
        # known and up to date: the day and the two before it (late corrections)
        (
            Known("ACTIVE", D(2026, 3, 1), D(2026, 4, 19)),
            None,
            P(),
            Window(D(2026, 4, 18), DAY, False),
        ),
        (
            Known("ACTIVE", D(2026, 3, 1), D(2026, 4, 19)),
            None,
            P(correction_days=0),
            Window(DAY, DAY, False),
        ),
        # a re-run for the same day re-collects the same days
        (
            Known("ACTIVE", D(2026, 3, 1), D(2026, 4, 20)),
            None,
            P(),
            Window(D(2026, 4, 18), DAY, False),
        ),
        # missed runs: reach back to the day after the newest stored day ...
        (
            Known("ACTIVE", D(2026, 3, 1), D(2026, 4, 10)),
            None,
            P(),
            Window(D(2026, 4, 11), DAY, False),
        ),
        # ... but never beyond the backfill horizon
        (
            Known("ACTIVE", D(2025, 1, 1), D(2025, 2, 1)),
            None,
            P(),
            Window(D(2026, 3, 22), DAY, False),
        ),
    ],
)
def test_which_days_a_campaign_collects(known, created_on, params, expected) -> None:
    assert days_to_collect(DAY, known, created_on, params) == expected


def test_a_campaign_created_after_the_day_collects_nothing_yet() -> None:
    assert days_to_collect(DAY, None, D(2026, 4, 21), P()) is None
    assert days_to_collect(DAY, None, DAY, P()) == Window(DAY, DAY, True)


def test_params_defaults_and_validation() -> None:
    p = P()
    assert (p.local_time, p.statuses, p.correction_days, p.backfill_days, p.cohort_days) == (
        "06:00",
        ["ACTIVE", "PAUSED"],
        2,
        30,
        30,
    )
    assert P(local_time="7:5").local_time == "07:05"
    for bad in (
        {"local_time": "25:00"},
        {"local_time": "6"},
        {"statuses": ["RUNNING"]},
        {"correction_days": 30, "backfill_days": 30},
        {"max_window_days": 31},
        {"unknown": 1},
    ):
        with pytest.raises(ValidationError):
            P(**bad)
