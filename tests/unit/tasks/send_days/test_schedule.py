"""The schedule as read -> the six-field write (tasks/send_days/schedule) and one campaign's
evaluation (tasks/send_days/evaluate): read names mapped, quirks fixed, nothing else changed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tasks.send_days.evaluate import DaysRule, judge, screen
from tasks.send_days.schedule import read_days, read_schedule, with_days
from workers.campaign_stats import DayFigures
from workers.clients.smartlead_models import Campaign, Schedule

TODAY = dt.date(2026, 3, 30)  # a Monday


def campaign(**overrides: Any) -> Campaign:
    data: dict[str, Any] = {
        "id": 7,
        "name": "Q2 outbound",
        "status": "ACTIVE",
        "scheduler_cron_value": {
            "tz": "Europe/Paris",
            "days": [1, 2, 3, 4, 5],
            "startHour": "09:00",
            "endHour": "17:30",
        },
        "min_time_btwn_emails": 12,
        "max_leads_per_day": 40,
    }
    data.update(overrides)
    return Campaign.model_validate(data)


def test_read_names_map_to_write_names_unchanged() -> None:
    read = read_schedule(campaign())
    assert read.problem == "" and read.notes == ()
    assert read.schedule is not None
    assert read.schedule.to_body() == {
        "timezone": "Europe/Paris",
        "days_of_the_week": [1, 2, 3, 4, 5],
        "start_hour": "09:00",
        "end_hour": "17:30",
        "min_time_btw_emails": 12,
        "max_new_leads_per_day": 40,
    }


def test_a_start_hour_of_9_and_a_sunday_of_7_are_normalised_and_noted() -> None:
    cron = {"tz": "America/New_York", "days": [7, 1, "2"], "startHour": "9", "endHour": "17:00"}
    read = read_schedule(campaign(scheduler_cron_value=cron))
    assert read.schedule is not None
    assert read.schedule.start_hour == "09:00" and read.schedule.days_of_the_week == [0, 1, 2]
    assert "startHour '9' normalised to '09:00'" in read.notes
    assert "Sunday read as 7, written as 0" in read.notes


def test_a_gap_under_three_is_raised_to_the_apis_minimum_and_noted() -> None:
    read = read_schedule(campaign(min_time_btwn_emails=2))
    assert read.schedule is not None and read.schedule.min_time_btw_emails == 3
    assert any("raised to 3" in n for n in read.notes)


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"scheduler_cron_value": None}, "has no schedule"),
        ({"scheduler_cron_value": {"tz": "Mars/Base", "days": [1]}}, "not an IANA zone"),
        (
            {"scheduler_cron_value": {"tz": "UTC", "days": [1, 8], "startHour": "9"}},
            "not weekdays",
        ),
        (
            {"scheduler_cron_value": {"tz": "UTC", "days": [1], "startHour": "25", "endHour": "9"}},
            "startHour '25'",
        ),
        ({"min_time_btwn_emails": None}, "no min_time_btwn_emails"),
        ({"max_leads_per_day": None}, "no max_leads_per_day"),
    ],
)
def test_what_cannot_be_sent_back_unchanged_is_refused_with_the_reason(
    overrides: dict[str, Any], problem: str
) -> None:
    read = read_schedule(campaign(**overrides))
    assert read.schedule is None and problem in read.problem


def test_with_days_changes_only_the_days() -> None:
    before = read_schedule(campaign()).schedule
    assert before is not None
    after = with_days(before, [3, 1, 2])
    assert after.days_of_the_week == [1, 2, 3]
    assert {k: v for k, v in after.to_body().items() if k != "days_of_the_week"} == {
        k: v for k, v in before.to_body().items() if k != "days_of_the_week"
    }


def test_read_days_refuses_non_weekdays() -> None:
    assert read_days([1, 7]) == [0, 1]
    assert read_days([]) is None and read_days(["x"]) is None and read_days(None) is None


def test_the_write_model_refuses_what_the_api_refuses() -> None:
    body = {
        "timezone": "UTC",
        "days_of_the_week": [1],
        "start_hour": "9",
        "end_hour": "17:00",
        "min_time_btw_emails": 3,
        "max_new_leads_per_day": 10,
    }
    assert Schedule.model_validate(body).start_hour == "09:00"
    for bad in ({"min_time_btw_emails": 2}, {"days_of_the_week": [7]}, {"end_hour": "17h"}):
        with pytest.raises(ValueError):
            Schedule.model_validate({**body, **bad})


def four_weeks(rates: dict[int, tuple[int, int]]) -> dict[dt.date, DayFigures]:
    """Per Smartlead weekday: (sent, replied) per day, over the 28 days before TODAY."""
    out = {}
    for i in range(1, 29):
        day = TODAY - dt.timedelta(days=i)
        w = day.isoweekday() % 7
        if w in rates:
            out[day] = DayFigures(day, sent=rates[w][0], replied_by_sent=rates[w][1])
    return out


GOOD_MON_WED = four_weeks({1: (100, 4), 2: (100, 4), 3: (100, 4), 4: (100, 0), 5: (100, 0)})


def test_judge_narrows_a_9_oclock_schedule_and_keeps_every_other_field() -> None:
    cron = {"tz": "Europe/Paris", "days": [1, 2, 3, 4, 5], "startHour": "9", "endHour": "17:30"}
    ev = judge(
        "7",
        "stored name",
        campaign(scheduler_cron_value=cron),
        rule=DaysRule(),
        figures=GOOD_MON_WED,
        account_tz="Europe/Paris",
    )
    assert ev.outcome == "change", ev.reason
    assert ev.after is not None and ev.before is not None
    assert ev.after.to_body() == {**ev.before.to_body(), "days_of_the_week": [1, 2, 3]}
    assert ev.after.start_hour == "09:00"
    data = ev.as_json()
    assert [w["sent"] for w in data["weekdays"]] == [0, 400, 400, 400, 400, 400, 0]
    assert data["schedule_before"]["days_of_the_week"] == [1, 2, 3, 4, 5]


def test_judge_leaves_a_campaign_without_schedule_or_not_active_alone() -> None:
    kw = {"rule": DaysRule(), "figures": GOOD_MON_WED, "account_tz": "Europe/Paris"}
    no_sched = judge("7", "n", campaign(scheduler_cron_value=None), **kw)  # type: ignore[arg-type]
    assert no_sched.outcome == "no_schedule" and "has no schedule" in no_sched.reason
    paused = judge("7", "n", campaign(status="PAUSED"), **kw)  # type: ignore[arg-type]
    assert paused.outcome == "not_active"
    assert judge("7", "n", None, **kw).outcome == "not_active"  # type: ignore[arg-type]


def test_screen_settles_opt_out_interval_and_thin_data_without_a_call() -> None:
    kw: dict[str, Any] = {"rule": DaysRule(), "today": TODAY, "account_tz": "Europe/Paris"}
    out = screen("7", "n", figures=GOOD_MON_WED, opted_out=True, last_change_on=None, **kw)
    assert out is not None and out.outcome == "opted_out"
    soon = screen(
        "7", "n", figures=GOOD_MON_WED, opted_out=False, last_change_on=dt.date(2026, 3, 16), **kw
    )
    assert soon is not None and soon.outcome == "too_soon" and "2026-04-13" in soon.reason
    thin = screen(
        "7", "n", figures=four_weeks({1: (20, 1)}), opted_out=False, last_change_on=None, **kw
    )
    assert thin is not None and thin.outcome == "no_decision"
    assert (
        screen("7", "n", figures=GOOD_MON_WED, opted_out=False, last_change_on=None, **kw) is None
    )
