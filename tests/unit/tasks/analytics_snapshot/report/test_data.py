"""The client report's figures: periods and their comparison, totals, rates with their
denominator, missing days, warnings, mailbox summary, and the "no data" states."""

from __future__ import annotations

import datetime as dt

import pytest

from tasks.analytics_snapshot.report import periods
from tasks.analytics_snapshot.report.data import (
    CampaignMeta,
    Change,
    Counts,
    MailboxState,
    Rate,
    ReportInputs,
    Thresholds,
    build_report,
    mailbox_summary,
    rate_warnings,
)
from tasks.analytics_snapshot.report.periods import Period, PeriodError
from workers.campaign_stats import DayFigures

D = dt.date


# ---- periods -----------------------------------------------------------------------------------
def test_last_30_days_ends_yesterday_and_compares_with_the_30_days_before() -> None:
    p = periods.parse_key("last-30-days", D(2026, 12, 15))
    assert (p.start, p.end, p.days) == (D(2026, 11, 15), D(2026, 12, 14), 30)
    prev = periods.previous(p)
    assert (prev.start, prev.end, prev.days) == (D(2026, 10, 16), D(2026, 11, 14), 30)


@pytest.mark.parametrize(
    ("spec", "today", "start", "end", "partial", "prev_start", "prev_end"),
    [
        # a finished month against the whole month before
        (
            "2026-11",
            D(2026, 12, 15),
            D(2026, 11, 1),
            D(2026, 11, 30),
            False,
            D(2026, 10, 1),
            D(2026, 10, 31),
        ),
        # January against December of the year before
        (
            "2027-01",
            D(2027, 2, 3),
            D(2027, 1, 1),
            D(2027, 1, 31),
            False,
            D(2026, 12, 1),
            D(2026, 12, 31),
        ),
        # a leap February has 29 days; March compares with all of it
        (
            "2028-02",
            D(2028, 3, 1),
            D(2028, 2, 1),
            D(2028, 2, 29),
            False,
            D(2028, 1, 1),
            D(2028, 1, 31),
        ),
        (
            "2028-03",
            D(2028, 4, 1),
            D(2028, 3, 1),
            D(2028, 3, 31),
            False,
            D(2028, 2, 1),
            D(2028, 2, 29),
        ),
        # month to date: as many days at the start of the month before
        (
            "2026-12",
            D(2026, 12, 15),
            D(2026, 12, 1),
            D(2026, 12, 14),
            True,
            D(2026, 11, 1),
            D(2026, 11, 14),
        ),
        # ... clamped to a shorter month before (30 days of March vs February's 28)
        (
            "2027-03",
            D(2027, 3, 31),
            D(2027, 3, 1),
            D(2027, 3, 30),
            True,
            D(2027, 2, 1),
            D(2027, 2, 28),
        ),
    ],
)
def test_month_boundaries_and_the_period_they_compare_with(
    spec: str,
    today: dt.date,
    start: dt.date,
    end: dt.date,
    partial: bool,
    prev_start: dt.date,
    prev_end: dt.date,
) -> None:
    p = periods.month(spec, today)
    assert (p.start, p.end, p.partial) == (start, end, partial)
    prev = periods.previous(p)
    assert (prev.start, prev.end) == (prev_start, prev_end)


def test_a_month_with_no_complete_day_or_in_the_future_is_refused_with_the_latest_day() -> None:
    with pytest.raises(PeriodError, match="no complete day yet.*2026-11-30"):
        periods.month("2026-12", D(2026, 12, 1))
    with pytest.raises(PeriodError, match="no complete day"):
        periods.month("2027-01", D(2026, 12, 15))
    with pytest.raises(PeriodError, match="2026-11"):
        periods.month("2026-13", D(2026, 12, 15))
    with pytest.raises(PeriodError, match="2026-11"):
        periods.month("Nov 2026", D(2026, 12, 15))


def test_custom_span_checks_order_completeness_and_length_and_compares_with_the_span_before() -> (
    None
):
    today = D(2026, 12, 15)
    p = periods.resolve(today, start=D(2026, 12, 1), end=D(2026, 12, 7))
    assert (p.days, p.key) == (7, "2026-12-01--2026-12-07")
    prev = periods.previous(p)
    assert (prev.start, prev.end) == (D(2026, 11, 24), D(2026, 11, 30))
    with pytest.raises(PeriodError, match="before --from"):
        periods.resolve(today, start=D(2026, 12, 7), end=D(2026, 12, 1))
    with pytest.raises(PeriodError, match="not over yet.*2026-12-14"):
        periods.resolve(today, start=D(2026, 12, 1), end=today)
    with pytest.raises(PeriodError, match="at most 366"):
        periods.resolve(today, start=D(2025, 1, 1), end=D(2026, 12, 1))


def test_period_options_are_exclusive_and_from_needs_to() -> None:
    today = D(2026, 12, 15)
    with pytest.raises(PeriodError, match="one of"):
        periods.resolve(today, period="last-30-days", month_spec="2026-11")
    with pytest.raises(PeriodError, match="one of"):
        periods.resolve(today, month_spec="2026-11", start=D(2026, 11, 1), end=D(2026, 11, 2))
    with pytest.raises(PeriodError, match="go together"):
        periods.resolve(today, start=D(2026, 11, 1))
    with pytest.raises(PeriodError, match="unknown period"):
        periods.resolve(today, period="last-week")
    assert periods.resolve(today).key == "last-30-days"


def test_standard_periods_skip_this_month_until_it_has_a_complete_day() -> None:
    assert [p.key for p in periods.standard_periods(D(2026, 12, 15))] == [
        "last-30-days",
        "2026-12",
        "2026-11",
    ]
    assert [p.key for p in periods.standard_periods(D(2026, 12, 1))] == ["last-30-days", "2026-11"]


def test_today_is_the_account_s_local_date() -> None:
    now = dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC)
    assert periods.local_today("Europe/Paris", now) == D(2026, 12, 2)
    assert periods.local_today("Pacific/Honolulu", now) == D(2026, 12, 1)


# ---- figures -----------------------------------------------------------------------------------
def _day(day: dt.date, sent: int, by_sent: int = 0, arrived: int = 0, **kw: int) -> DayFigures:
    return DayFigures(day=day, sent=sent, replied_by_sent=by_sent, replied=arrived, **kw)


def _inputs(
    days: dict[str, dict[dt.date, DayFigures]],
    previous_days: dict[str, dict[dt.date, DayFigures]] | None = None,
    *,
    period: Period | None = None,
    ever: bool = True,
    mailboxes: tuple[MailboxState, ...] = (),
) -> ReportInputs:
    p = period or periods.custom(D(2026, 11, 1), D(2026, 11, 3), D(2026, 12, 1))
    return ReportInputs(
        account_name="Acme",
        period=p,
        previous=periods.previous(p),
        days=days,
        previous_days=previous_days or {},
        campaigns={
            "1": CampaignMeta("1", "Alpha", "ACTIVE"),
            "2": CampaignMeta("2", "Beta", "PAUSED"),
        },
        mailboxes=mailboxes,
        ever_collected=ever,
    )


def test_totals_add_every_campaign_and_day_and_compare_with_the_previous_period() -> None:
    days = {
        "1": {D(2026, 11, 1): _day(D(2026, 11, 1), 100, 4, 3, positive_replied=2, bounced=1)},
        "2": {
            D(2026, 11, 2): _day(D(2026, 11, 2), 50, 1, 2, bounced=2, unsubscribed=1),
            D(2026, 11, 3): _day(D(2026, 11, 3), 50, 1, 1),
        },
    }
    before = {"1": {D(2026, 10, 30): _day(D(2026, 10, 30), 160, 4)}}
    r = build_report(_inputs(days, before), Thresholds(min_sent=0, bounce_percent=50))
    by_key = {t.key: t.change for t in r.totals}
    assert (r.counts.sent, r.counts.replies, r.counts.replies_arrived) == (200, 6, 6)
    assert by_key["sent"] == Change(200, 160) and by_key["sent"].percent == pytest.approx(25.0)
    assert by_key["replies"].delta == 2 and by_key["replies"].percent == pytest.approx(50.0)
    assert by_key["bounced"].previous == 0 and by_key["bounced"].percent is None
    assert by_key["bounced"].delta == 3
    assert r.state == "ok" and r.days_collected == 3 and r.missing_days == ()


def test_reply_rate_divides_replies_by_send_date_by_emails_sent_not_replies_by_arrival() -> None:
    days = {"1": {D(2026, 11, 1): _day(D(2026, 11, 1), 200, by_sent=10, arrived=30)}}
    r = build_report(_inputs(days), Thresholds())
    reply = next(line for line in r.rates if line.key == "reply")
    assert (reply.change.rate.numerator, reply.change.rate.denominator) == (10, 200)
    assert reply.change.rate.percent == pytest.approx(5.0)
    assert "sent" in reply.basis and "÷ emails sent" in reply.basis


def test_rates_with_nothing_sent_are_absent_not_zero_and_have_no_change() -> None:
    assert Rate(0, 0).value is None and Rate(3, 0).percent is None
    days = {"1": {D(2026, 11, 1): _day(D(2026, 11, 1), 0)}}
    before = {"1": {D(2026, 10, 31): _day(D(2026, 10, 31), 100, 5)}}
    r = build_report(_inputs(days, before), Thresholds())
    for line in r.rates:
        assert line.change.rate.value is None
        assert line.change.points is None
    assert r.campaigns[0].rates.reply.value is None


def test_previous_period_without_stored_days_has_no_comparison() -> None:
    days = {"1": {D(2026, 11, 1): _day(D(2026, 11, 1), 100, 5)}}
    r = build_report(_inputs(days, {}), Thresholds())
    assert r.previous_counts is None
    assert all(t.change.previous is None and t.change.percent is None for t in r.totals)
    assert all(line.change.previous is None for line in r.rates)


def test_a_day_never_collected_is_a_gap_not_a_zero() -> None:
    days = {
        "1": {
            D(2026, 11, 1): _day(D(2026, 11, 1), 100, 2),
            D(2026, 11, 3): _day(D(2026, 11, 3), 80, 1),
        }
    }
    r = build_report(_inputs(days), Thresholds())
    assert [p.collected for p in r.series] == [True, False, True]
    assert r.missing_days == (D(2026, 11, 2),)
    assert r.days_collected == 2 and r.counts.sent == 180


def test_bounce_and_unsubscribe_warnings_fire_strictly_over_the_threshold_with_enough_sent() -> (
    None
):
    t = Thresholds(bounce_percent=3.0, unsubscribe_percent=1.0, min_sent=100)
    assert rate_warnings("x", Counts(sent=100, bounced=3), t) == ()  # exactly 3%: not over
    (w,) = rate_warnings("x", Counts(sent=100, bounced=4), t)
    assert (w.kind, w.percent, w.threshold, w.sent) == ("bounce", 4.0, 3.0, 100)
    assert rate_warnings("x", Counts(sent=99, bounced=50), t) == ()  # too few sent to judge
    kinds = [w.kind for w in rate_warnings("x", Counts(sent=200, bounced=9, unsubscribed=3), t)]
    assert kinds == ["bounce", "unsubscribe"]


def test_warnings_name_the_campaign_and_the_whole_account() -> None:
    days = {
        "1": {D(2026, 11, 1): _day(D(2026, 11, 1), 500, bounced=5)},
        "2": {D(2026, 11, 1): _day(D(2026, 11, 1), 200, bounced=20)},
    }
    r = build_report(_inputs(days), Thresholds(bounce_percent=3.0, min_sent=100))
    assert [(w.subject, w.kind) for w in r.warnings] == [
        ("All campaigns", "bounce"),
        ("Beta", "bounce"),
    ]
    assert [row.meta.name for row in r.campaigns] == ["Alpha", "Beta"]  # most sent first
    assert r.campaigns[1].warnings and not r.campaigns[0].warnings


def test_a_campaign_without_stored_totals_is_still_listed_by_its_id() -> None:
    days = {"77": {D(2026, 11, 1): _day(D(2026, 11, 1), 10)}}
    r = build_report(_inputs(days), Thresholds())
    assert r.campaigns[0].meta == CampaignMeta("77", "Campaign 77", "")


def test_a_new_client_gets_no_data_yet_and_an_empty_period_says_so() -> None:
    fresh = build_report(_inputs({}, ever=False), Thresholds())
    assert fresh.state == "no_data_yet" and fresh.campaigns == () and fresh.warnings == ()
    quiet = build_report(_inputs({"1": {}}, ever=True), Thresholds())
    assert quiet.state == "no_data_in_period"


def test_mailbox_summary_uses_each_mailbox_s_latest_state_and_skips_unknown_reputation() -> None:
    def m(mid: str, day: int, rep: float | None, weak: bool = False) -> MailboxState:
        return MailboxState(mid, f"{mid}@x.example", D(2026, 11, day), rep, True, True, weak)

    states = [
        m("a", 1, 95),
        m("b", 1, 80, weak=True),
        m("a", 2, 97),
        m("b", 2, 92),
        m("c", 2, None),
    ]
    s = mailbox_summary(states)
    assert s is not None
    assert (s.total, s.healthy, s.as_of) == (3, 3, D(2026, 11, 2))
    assert s.average_reputation == pytest.approx((97 + 92) / 2)
    assert s.reputation_unknown == 1
    assert s.trend == ((D(2026, 11, 1), 87.5, 1), (D(2026, 11, 2), 94.5, 0))
    assert mailbox_summary([]) is None
