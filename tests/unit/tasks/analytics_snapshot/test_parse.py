"""Reading the day-wise analytics answers: wrapped or bare, counts as strings, "20 Apr" placed
in the requested window (across New Year too), ISO dates, missing and stray days."""

from __future__ import annotations

import datetime as dt

import pytest

from tasks.analytics_snapshot.parse import (
    AnalyticsParseError,
    day_figures,
    days_in,
    notes,
    resolve_day,
    series,
)
from workers.clients.smartlead_models import DayWiseStats

D = dt.date


def row(date: str, day_name: str | None = None, **metrics: object) -> dict:
    out: dict = {"date": date, "email_engagement_metrics": metrics}
    if day_name:
        out["day_name"] = day_name
    return out


def wrapped(*rows: dict) -> dict:
    return {"success": True, "message": "success", "data": {"day_wise_stats": list(rows)}}


@pytest.mark.parametrize(
    ("text", "start", "end", "expected"),
    [
        ("20 Apr", D(2026, 4, 1), D(2026, 4, 30), D(2026, 4, 20)),
        ("5 Apr", D(2026, 4, 1), D(2026, 4, 30), D(2026, 4, 5)),
        ("05 Apr", D(2026, 4, 1), D(2026, 4, 30), D(2026, 4, 5)),
        ("Apr 20", D(2026, 4, 1), D(2026, 4, 30), D(2026, 4, 20)),
        ("20 April", D(2026, 4, 1), D(2026, 4, 30), D(2026, 4, 20)),
        ("20 Apr 2026", D(2026, 4, 1), D(2026, 4, 30), D(2026, 4, 20)),
        # across New Year: December days belong to the old year, January days to the new one
        ("31 Dec", D(2025, 12, 20), D(2026, 1, 10), D(2025, 12, 31)),
        ("1 Jan", D(2025, 12, 20), D(2026, 1, 10), D(2026, 1, 1)),
        ("20 Dec", D(2025, 12, 20), D(2026, 1, 10), D(2025, 12, 20)),
        ("29 Feb", D(2024, 2, 15), D(2024, 3, 10), D(2024, 2, 29)),
        ("2026-04-20", D(2026, 4, 1), D(2026, 4, 30), D(2026, 4, 20)),
        ("2026-04-20T00:00:00.000Z", D(2026, 4, 1), D(2026, 4, 30), D(2026, 4, 20)),
        ("2026-4-2", D(2026, 4, 1), D(2026, 4, 30), D(2026, 4, 2)),
    ],
)
def test_a_day_is_placed_in_the_requested_window(text, start, end, expected) -> None:
    assert resolve_day(text, start, end) == expected


def test_a_day_without_year_that_the_window_cannot_hold_is_none() -> None:
    assert resolve_day("20 May", D(2026, 4, 1), D(2026, 4, 30)) is None
    assert resolve_day("29 Feb", D(2025, 2, 15), D(2025, 3, 10)) is None  # no leap day in 2025


def test_the_day_name_settles_a_window_longer_than_a_year() -> None:
    start, end = D(2024, 4, 1), D(2025, 4, 30)
    with pytest.raises(AnalyticsParseError, match="ambiguous"):
        resolve_day("20 Apr", start, end)
    assert resolve_day("20 Apr", start, end, "Sunday") == D(2025, 4, 20)  # 2024-04-20: Saturday
    assert resolve_day("20 Apr", start, end, "Sat") == D(2024, 4, 20)


@pytest.mark.parametrize("text", ["yesterday", "20 Foo", "2026-02-30", "", "Apr"])
def test_text_that_is_no_date_is_a_clear_error(text) -> None:
    with pytest.raises(AnalyticsParseError, match="analytics day"):
        resolve_day(text, D(2026, 4, 1), D(2026, 4, 30))


def test_wrapped_and_bare_answers_read_the_same_with_counts_as_strings() -> None:
    start, end = D(2026, 4, 19), D(2026, 4, 20)
    rows = [
        row("19 Apr", "Sunday", sent="12", opened="3", replied="1", bounced="0", unsubscribed=""),
        row("20 Apr", "Monday", sent=7, replied=None, reply_rate="5.03%"),
    ]
    answers = [
        wrapped(*rows),
        {"data": {"day_wise_stats": rows}},
        {"day_wise_stats": rows},
        rows,
        DayWiseStats.from_answer(wrapped(*rows)),
    ]
    for answer in answers:
        got = series(answer, start, end)
        assert got.get(D(2026, 4, 19)).sent == 12 and got.get(D(2026, 4, 19)).opened == 3
        assert got.get(D(2026, 4, 19)).unsubscribed == 0
        assert got.get(D(2026, 4, 20)).sent == 7 and got.get(D(2026, 4, 20)).replied == 0
        assert got.get(D(2026, 4, 20)).reply_rate == pytest.approx(5.03)
        assert got.missing == [] and got.outside == []


def test_counts_on_the_row_itself_are_read_too() -> None:
    got = series(
        [{"date": "2026-04-20", "sent": "4", "positive_reply_count": "2"}],
        D(2026, 4, 20),
        D(2026, 4, 20),
    )
    assert got.get(D(2026, 4, 20)).sent == 4 and got.get(D(2026, 4, 20)).positive_replied == 2


def test_days_left_out_are_zero_and_listed_rows_outside_the_window_are_dropped() -> None:
    start, end = D(2026, 4, 18), D(2026, 4, 20)
    got = series(wrapped(row("19 Apr", sent="5"), row("25 Apr", sent="99")), start, end)
    assert got.missing == [D(2026, 4, 18), D(2026, 4, 20)]
    assert got.outside == ["25 Apr"]
    assert got.get(D(2026, 4, 18)).sent == 0 and got.get(D(2026, 4, 19)).sent == 5
    assert D(2026, 4, 25) not in got.days
    assert notes([got]) == {"missing_days": 2, "rows_outside_window": 1}


def test_an_empty_data_object_is_an_empty_series_with_every_day_missing() -> None:
    got = series({"success": True, "message": "ok", "data": {}}, D(2026, 4, 20), D(2026, 4, 20))
    assert got.days == {} and got.missing == [D(2026, 4, 20)]


def test_a_day_twice_in_one_answer_is_refused_not_summed() -> None:
    with pytest.raises(AnalyticsParseError, match="appears twice"):
        series(
            wrapped(row("20 Apr", sent="1"), row("2026-04-20", sent="1")),
            D(2026, 4, 1),
            D(2026, 4, 30),
        )


def test_an_answer_of_the_wrong_shape_is_a_clear_error() -> None:
    with pytest.raises(AnalyticsParseError, match="not understood"):
        series({"success": True, "data": {"day_wise_stats": "nope"}}, D(2026, 4, 1), D(2026, 4, 2))


def test_the_three_series_merge_into_one_row_per_day_ordered_by_date_across_new_year() -> None:
    start, end = D(2025, 12, 30), D(2026, 1, 2)
    overall = series(
        wrapped(
            row("1 Jan", sent="10", opened="4", replied="2", bounced="1", unsubscribed="1"),
            row("31 Dec", sent="20", replied="3"),
        ),
        start,
        end,
    )
    by_sent = series(wrapped(row("31 Dec", replied="5"), row("1 Jan", replied="1")), start, end)
    positive = series(wrapped(row("1 Jan", positive_replied="1")), start, end)
    rows = day_figures(overall, by_sent, positive)
    # ordered as dates ("1 Jan" < "31 Dec" as text: a string sort would put January first)
    assert [r.day for r in rows] == days_in(start, end)
    by_day = {r.day: r for r in rows}
    assert by_day[D(2025, 12, 31)].counts() == {
        "sent": 20,
        "opened": 0,
        "replied": 3,
        "replied_by_sent": 5,
        "positive_replied": 0,
        "bounced": 0,
        "unsubscribed": 0,
    }
    jan = by_day[D(2026, 1, 1)]
    assert (jan.sent, jan.opened, jan.replied, jan.replied_by_sent) == (10, 4, 2, 1)
    assert (jan.positive_replied, jan.bounced, jan.unsubscribed) == (1, 1, 1)
    assert by_day[D(2025, 12, 30)].counts() == dict.fromkeys(by_day[D(2025, 12, 30)].counts(), 0)


def test_series_of_different_windows_do_not_merge() -> None:
    a = series([], D(2026, 4, 1), D(2026, 4, 2))
    b = series([], D(2026, 4, 1), D(2026, 4, 3))
    with pytest.raises(ValueError, match="same window"):
        day_figures(a, a, b)


def test_windows_join_into_one_series_and_the_by_sent_series_may_reach_further_back() -> None:
    from tasks.analytics_snapshot.parse import cohort_replies, joined

    first = series(wrapped(row("30 Dec", replied="2")), D(2025, 12, 29), D(2025, 12, 31))
    second = series(
        wrapped(row("1 Jan", replied="1"), row("2 Jan", replied="3")), D(2026, 1, 1), D(2026, 1, 2)
    )
    by_sent = joined([second, first])
    assert (by_sent.start, by_sent.end) == (D(2025, 12, 29), D(2026, 1, 2))
    assert by_sent.missing == [D(2025, 12, 29), D(2025, 12, 31)]
    overall = series(wrapped(row("2 Jan", sent="9")), D(2026, 1, 1), D(2026, 1, 2))
    positive = series([], D(2026, 1, 1), D(2026, 1, 2))
    rows = day_figures(overall, by_sent, positive)
    assert [(r.day, r.sent, r.replied_by_sent) for r in rows] == [
        (D(2026, 1, 1), 0, 1),
        (D(2026, 1, 2), 9, 3),
    ]
    # the send days before the collected window: their matured cohort counts
    assert cohort_replies(by_sent, D(2026, 1, 1)) == {
        D(2025, 12, 29): 0,
        D(2025, 12, 30): 2,
        D(2025, 12, 31): 0,
    }
    with pytest.raises(ValueError):
        day_figures(by_sent, overall, positive)  # by_sent may not start later than overall
