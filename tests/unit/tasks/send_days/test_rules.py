"""Send-days decisions, driven by weekday tables (automation 9, tasks/send_days/rules and
posterior). Weekdays are Smartlead's: 0 = Sunday .. 6 = Saturday."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from tasks.send_days.posterior import prob_rate_lower
from tasks.send_days.rules import (
    WeekdayRow,
    campaign_weekday,
    change_allowed,
    decide,
    smartlead_weekday,
    weekday_table,
)
from workers.campaign_stats import DayFigures

MON_FRI = [1, 2, 3, 4, 5]
SUN, MON, TUE, WED, THU, FRI, SAT = range(7)


def table(
    figures: dict[int, tuple[int, int]], scheduled: list[int], min_sent: int = 100
) -> list[WeekdayRow]:
    """Rows from {weekday: (sent, replied)} over the lookback."""
    return [
        WeekdayRow(
            w,
            4 if w in figures else 0,
            figures.get(w, (0, 0))[0],
            figures.get(w, (0, 0))[1],
            w in scheduled,
            w in scheduled and figures.get(w, (0, 0))[0] >= min_sent,
        )
        for w in range(7)
    ]


def test_smartlead_numbering_puts_sunday_first() -> None:
    assert smartlead_weekday(dt.date(2026, 3, 1)) == SUN
    assert smartlead_weekday(dt.date(2026, 3, 2)) == MON
    assert smartlead_weekday(dt.date(2026, 3, 7)) == SAT


CASES = [
    # name, {weekday: (sent, replied)}, schedule, keep_days, expected action, days after
    (
        "a single lucky reply moves nothing",
        {MON: (100, 1), TUE: (100, 0), WED: (100, 0), THU: (100, 0), FRI: (100, 0)},
        MON_FRI,
        3,
        "keep",
        MON_FRI,
    ),
    (
        "clearly worse Thursday and Friday are dropped",
        {MON: (400, 16), TUE: (400, 16), WED: (400, 16), THU: (400, 0), FRI: (400, 0)},
        MON_FRI,
        3,
        "change",
        [MON, TUE, WED],
    ),
    (
        "low volume on every weekday: no decision",
        {w: (60, 0 if w > WED else 6) for w in MON_FRI},
        MON_FRI,
        3,
        "no_decision",
        MON_FRI,
    ),
    (
        "never fewer than keep_days, even with strong evidence (ties: the one with more sends,"
        " then the later weekday, goes first)",
        {MON: (400, 20), TUE: (400, 20), WED: (500, 0), THU: (400, 0), FRI: (400, 0)},
        MON_FRI,
        3,
        "change",
        [MON, TUE, THU],
    ),
    (
        "a schedule already at keep_days is kept",
        {MON: (400, 20), TUE: (400, 0), WED: (400, 0)},
        [MON, TUE, WED],
        3,
        "keep",
        [MON, TUE, WED],
    ),
    (
        "a mediocre day is not dropped along with a bad one",
        {MON: (600, 30), TUE: (600, 30), WED: (600, 30), THU: (600, 29), FRI: (600, 0)},
        MON_FRI,
        2,
        "change",
        [MON, TUE, WED, THU],
    ),
    (
        "a scheduled weekday with no data is neither judged nor dropped",
        {MON: (400, 16), TUE: (400, 16), WED: (400, 16), THU: (400, 0)},
        [MON, TUE, WED, THU, SAT],
        3,
        "change",
        [MON, TUE, WED, SAT],
    ),
    (
        "a weekday with data but off the schedule is never added",
        {SUN: (400, 40), MON: (400, 16), TUE: (400, 16), WED: (400, 16), THU: (400, 0)},
        [MON, TUE, WED, THU],
        3,
        "change",
        [MON, TUE, WED],
    ),
]


@pytest.mark.parametrize(
    ("name", "figures", "scheduled", "keep", "action", "after"), CASES, ids=[c[0] for c in CASES]
)
def test_decision_table(
    name: str, figures: dict, scheduled: list[int], keep: int, action: str, after: list[int]
) -> None:
    decision = decide(table(figures, scheduled), scheduled, keep, 0.95)
    assert decision.action == action, decision.reason
    assert list(decision.days_after) == after
    assert set(decision.days_after) <= set(scheduled)


def test_the_confidence_is_bonferroni_adjusted_for_the_weekdays_judged() -> None:
    figures = {MON: (400, 16), TUE: (400, 16), WED: (400, 16), THU: (400, 0), FRI: (400, 0)}
    decision = decide(table(figures, MON_FRI), MON_FRI, 3, 0.95)
    assert decision.required_probability == pytest.approx(1 - 0.05 / 5)
    assert all(d.probability_worse >= decision.required_probability for d in decision.drops)
    assert decision.kept == (48, 1200) and decision.dropped == (0, 800)
    # A difference that passes at 95% once but not after picking the worst of five:
    borderline = {MON: (300, 9), TUE: (300, 9), WED: (300, 9), THU: (300, 9), FRI: (300, 3)}
    p = prob_rate_lower(3, 300, 36, 1200)
    assert 0.95 < p < 0.99
    assert decide(table(borderline, MON_FRI), MON_FRI, 3, 0.95).action == "keep"


def test_weekday_table_sums_by_campaign_weekday_and_counts_unmapped_days() -> None:
    start = dt.date(2026, 2, 9)  # a Monday; four weeks
    figures = {}
    for i in range(28):
        day = start + dt.timedelta(days=i)
        if smartlead_weekday(day) in MON_FRI:
            figures[day] = DayFigures(day, sent=50, replied_by_sent=1, replied=7)
    rows, unmapped = weekday_table(figures, smartlead_weekday, MON_FRI, 150)
    assert unmapped == 0
    assert [(r.weekday, r.days, r.sent, r.replied, r.judged) for r in rows] == [
        (SUN, 0, 0, 0, False),
        (MON, 4, 200, 4, True),
        (TUE, 4, 200, 4, True),
        (WED, 4, 200, 4, True),
        (THU, 4, 200, 4, True),
        (FRI, 4, 200, 4, True),
        (SAT, 0, 0, 0, False),
    ]
    rows, unmapped = weekday_table(figures, lambda d: None, MON_FRI, 150)
    assert unmapped == 20 and sum(r.sent for r in rows) == 0


@pytest.mark.parametrize(
    ("account_tz", "campaign_tz", "hours", "expected"),
    [
        ("Europe/Paris", "Europe/Paris", ("09:00", "17:00"), MON),
        ("Europe/Paris", "America/New_York", ("09:00", "17:00"), MON),  # 15:00-23:00 in Paris
        ("Europe/Paris", "Asia/Tokyo", ("09:00", "17:00"), MON),  # 01:00-09:00 in Paris
        ("Asia/Tokyo", "America/Los_Angeles", ("09:00", "17:00"), SUN),  # LA's Sunday
        ("Europe/Paris", "Australia/Sydney", ("09:00", "17:00"), None),  # crosses midnight
        ("Europe/Paris", "America/New_York", ("09:00", "19:00"), None),  # ends 01:00 Paris
    ],
)
def test_a_stored_account_day_is_given_to_the_campaigns_own_weekday(
    account_tz: str, campaign_tz: str, hours: tuple[str, str], expected: int | None
) -> None:
    monday = dt.date(2026, 3, 2)
    assert campaign_weekday(monday, account_tz, campaign_tz, *hours) == expected


def test_one_change_per_interval() -> None:
    today = dt.date(2026, 3, 30)
    assert change_allowed(None, today, 28) == (True, None)
    assert change_allowed(dt.date(2026, 3, 2), today, 28) == (True, dt.date(2026, 3, 30))
    assert change_allowed(dt.date(2026, 3, 3), today, 28) == (False, dt.date(2026, 3, 31))


def test_posterior_has_the_closed_form_values() -> None:
    # Uniform vs one reply of one send: P(U < Beta(2,1)) = 2/3.
    assert prob_rate_lower(0, 0, 1, 1) == pytest.approx(2 / 3)
    assert prob_rate_lower(3, 300, 3, 300) == pytest.approx(0.5)
    for a, b in [((2, 100), (9, 400)), ((0, 100), (4, 200)), ((30, 1000), (50, 1000))]:
        assert prob_rate_lower(*a, *b) + prob_rate_lower(*b, *a) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="replied <= sent"):
        prob_rate_lower(5, 4, 0, 10)


def test_posterior_agrees_with_sampling() -> None:
    rng = random.Random(7)
    for ra, sa, rb, sb in [(0, 100, 4, 200), (3, 300, 12, 400), (50, 1000, 30, 1000)]:
        n = 15_000
        hits = sum(
            rng.betavariate(ra + 1, sa - ra + 1) < rng.betavariate(rb + 1, sb - rb + 1)
            for _ in range(n)
        )
        assert prob_rate_lower(ra, sa, rb, sb) == pytest.approx(hits / n, abs=0.02)
