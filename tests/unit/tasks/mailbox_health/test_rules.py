"""Weak or not (with reasons and figures, per-account thresholds) and alert on change: first
run, no change, new weak, worse, recovered, flapping across the threshold, null warm-up."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from tasks.mailbox_health.parse import MailboxReading, WarmupFigures
from tasks.mailbox_health.rules import (
    Morning,
    Previous,
    Thresholds,
    Verdict,
    judge,
    morning,
    needs_warmup_stats,
    problems_of,
)

DAY = dt.date(2026, 12, 1)
TH = Thresholds(min_reputation=90, recovery_margin=3)


def reading(id: str = "1", **over: Any) -> MailboxReading:
    base = MailboxReading(
        id=id,
        email=f"box{id}@acme.io",
        client_id=None,
        reputation=97.0,
        has_warmup=True,
        warmup_status="ACTIVE",
        warmup_blocked=False,
        smtp_ok=True,
        imap_ok=True,
        suspended=False,
        sent_today=5,
        daily_limit=40,
    )
    return dataclasses.replace(base, **over)


def carried(v: Verdict, day: dt.date) -> Previous:
    """What the store hands the next morning (tasks.mailbox_health.store.previous_of)."""
    return Previous(day, v.weak, frozenset(v.reason_codes), v.weak_since, v.since)


def mornings(readings_by_day: list[list[MailboxReading]], th: Thresholds = TH) -> list[Morning]:
    """Run consecutive mornings, each judged against the state the previous one stored."""
    previous: dict[str, Previous] = {}
    out = []
    for i, readings in enumerate(readings_by_day):
        day = DAY + dt.timedelta(days=i)
        m = morning(readings, th, previous, day)
        previous = {**previous, **{v.reading.id: carried(v, day) for v in m.verdicts}}
        out.append(m)
    return out


@pytest.mark.parametrize(
    ("over", "codes", "text"),
    [
        ({}, [], None),
        ({"reputation": 62.0}, ["low_reputation"], "reputation 62% (floor 90%)"),
        ({"reputation": 0.0}, ["low_reputation"], "reputation 0% (floor 90%)"),
        ({"reputation": 90.0}, [], None),  # the floor itself is not weak
        ({"smtp_ok": False}, ["smtp_failed"], "SMTP connection failing"),
        ({"imap_ok": False}, ["imap_failed"], "IMAP connection failing"),
        ({"smtp_ok": None, "imap_ok": None}, [], None),  # not reported is not failing
        ({"warmup_blocked": True}, ["warmup_blocked"], "warm-up blocked"),
        ({"suspended": True}, ["suspended"], "suspended"),
        ({"reputation": None}, [], None),  # unknown is not 0
        ({"smtp_ok": False, "reputation": 50.0}, ["smtp_failed", "low_reputation"], None),
    ],
)
def test_default_thresholds_name_what_is_wrong_with_the_figure(over, codes, text) -> None:
    v = judge(reading(**over), TH, None, DAY)
    assert v.reason_codes == codes and v.weak is bool(codes)
    if text:
        assert text in [p.text for p in v.reasons]


def test_null_warmup_is_unknown_not_weak_unless_the_account_counts_it() -> None:
    never = reading(has_warmup=False, warmup_status=None, reputation=None)
    v = judge(never, TH, None, DAY)
    assert not v.weak and [p.code for p in v.notes] == ["no_warmup"]
    strict = dataclasses.replace(TH, weak_conditions=TH.weak_conditions | {"no_warmup"})
    v = judge(never, strict, None, DAY)
    assert v.weak and v.reasons[0].text == "no warm-up set up"


def test_unknown_reputation_is_a_note_never_low_reputation() -> None:
    v = judge(reading(reputation=None), TH, None, DAY)
    assert not v.weak and [p.code for p in v.notes] == ["reputation_unknown"]


def test_thresholds_are_per_account() -> None:
    lenient = dataclasses.replace(TH, min_reputation=60)
    assert not judge(reading(reputation=62.0), lenient, None, DAY).weak
    counts_inactive = dataclasses.replace(
        TH, weak_conditions=frozenset({"warmup_inactive", "daily_limit_reached"})
    )
    v = judge(reading(warmup_status="INACTIVE", sent_today=40), counts_inactive, None, DAY)
    assert v.reason_codes == ["warmup_inactive", "daily_limit_reached"]
    assert "sent 40 of 40 today" in [p.text for p in v.reasons]
    assert not judge(reading(warmup_status="INACTIVE", sent_today=40), TH, None, DAY).weak


def test_first_run_announces_the_weak_mailboxes_and_nothing_else() -> None:
    (m,) = mornings([[reading("1"), reading("2", smtp_ok=False)]])
    assert [v.reading.id for v in m.of("new_weak")] == ["2"]
    assert m.of("new_weak")[0].weak_since == DAY
    assert m.should_alert(daily_digest=False)


def test_first_run_with_every_mailbox_healthy_says_nothing() -> None:
    (m,) = mornings([[reading("1"), reading("2")]])
    assert not m.has_change and not m.should_alert(daily_digest=False)


def test_no_change_the_next_morning_says_nothing_and_keeps_weak_since() -> None:
    day1, day2 = mornings([[reading("1", smtp_ok=False)], [reading("1", smtp_ok=False)]])
    assert day1.should_alert(False)
    (v,) = day2.verdicts
    assert v.transition == "still_weak" and v.weak_since == DAY and v.since == DAY
    assert not day2.should_alert(daily_digest=False)


def test_new_weak_then_recovered_each_alert_once() -> None:
    days = mornings(
        [
            [reading("1"), reading("2")],
            [reading("1", reputation=70.0), reading("2")],
            [reading("1", reputation=70.0), reading("2")],
            [reading("1", reputation=98.0), reading("2")],
            [reading("1", reputation=98.0), reading("2")],
        ]
    )
    assert [m.should_alert(False) for m in days] == [False, True, False, True, False]
    recovered = days[3].of("recovered")
    assert [v.reading.id for v in recovered] == ["1"]
    assert recovered[0].previous_weak_since == DAY + dt.timedelta(days=1)
    assert recovered[0].weak_since is None and recovered[0].since == DAY + dt.timedelta(days=3)


def test_a_new_reason_on_a_weak_mailbox_is_worse_and_alerts() -> None:
    _, day2 = mornings(
        [[reading("1", reputation=70.0)], [reading("1", reputation=70.0, smtp_ok=False)]]
    )
    (v,) = day2.verdicts
    assert v.transition == "worse" and [p.code for p in v.new_reasons] == ["smtp_failed"]
    assert v.weak_since == DAY and day2.should_alert(False)


def test_flapping_around_the_floor_alerts_on_the_way_down_and_once_truly_recovered() -> None:
    """Floor 90, margin 3: 89 is weak; it recovers only at 93, not at 91."""
    reps = [91.0, 89.0, 91.0, 89.5, 92.9, 93.0, 91.0]
    days = mornings([[reading("1", reputation=r)] for r in reps])
    transitions = [m.verdicts[0].transition for m in days]
    assert transitions == [
        "healthy",
        "new_weak",
        "still_weak",
        "still_weak",
        "still_weak",
        "recovered",
        "healthy",
    ]
    assert [m.should_alert(False) for m in days] == [False, True, False, False, False, True, False]
    held = days[2].verdicts[0]
    assert held.reasons[0].text == "reputation 91% (recovers at 93%)"


def test_smtp_recovery_is_not_held_by_the_reputation_margin() -> None:
    """The margin applies to a mailbox that was low on reputation, not to an SMTP failure."""
    _, day2 = mornings(
        [[reading("1", smtp_ok=False, reputation=91.0)], [reading("1", reputation=91.0)]]
    )
    assert day2.verdicts[0].transition == "recovered"


def test_digest_accounts_hear_every_morning() -> None:
    _, day2 = mornings([[reading("1", smtp_ok=False)], [reading("1", smtp_ok=False)]])
    assert not day2.should_alert(daily_digest=False) and day2.should_alert(daily_digest=True)


def test_a_mailbox_seen_for_the_first_time_later_is_new_weak() -> None:
    _, day2 = mornings([[reading("1")], [reading("1"), reading("9", imap_ok=False)]])
    assert [v.reading.id for v in day2.of("new_weak")] == ["9"]


def test_warmup_stats_are_asked_only_when_reputation_alone_cannot_decide() -> None:
    th = dataclasses.replace(
        TH,
        use_warmup_stats=True,
        warmup_band=5,
        weak_conditions=TH.weak_conditions | {"warmup_spam"},
    )
    assert needs_warmup_stats(reading(reputation=None), th)  # warm-up, reputation missing
    assert needs_warmup_stats(reading(reputation=93.0), th)  # within 5 points of the floor
    assert not needs_warmup_stats(reading(reputation=99.0), th)  # clearly fine
    assert not needs_warmup_stats(reading(reputation=50.0), th)  # already weak
    assert not needs_warmup_stats(reading(smtp_ok=False, reputation=None), th)
    assert not needs_warmup_stats(reading(has_warmup=False, reputation=None), th)  # no warm-up
    assert needs_warmup_stats(reading(reputation=99.0), th, {"warmup_spam"})  # to see recovery
    assert not needs_warmup_stats(reading(reputation=None), TH)  # off by default


def test_warmup_spam_share_makes_a_mailbox_weak_when_counted() -> None:
    th = dataclasses.replace(
        TH, use_warmup_stats=True, weak_conditions=TH.weak_conditions | {"warmup_spam"}
    )
    spammy = WarmupFigures(sent=140, spam=21, inbox=119)
    v = judge(reading(reputation=None), th, None, DAY, spammy)
    assert v.reason_codes == ["warmup_spam"]
    assert v.reasons[0].text == "warm-up spam 15% over 7 days (max 10%)"
    assert not judge(reading(reputation=None), th, None, DAY, WarmupFigures(140, 7, 133)).weak


def test_warmup_spam_not_rechecked_is_kept_rather_than_called_recovered() -> None:
    th = dataclasses.replace(
        TH, use_warmup_stats=True, weak_conditions=TH.weak_conditions | {"warmup_spam"}
    )
    prev = Previous(DAY, True, frozenset({"warmup_spam"}), DAY, DAY)
    v = judge(reading(), th, prev, DAY + dt.timedelta(days=1), None)
    assert v.transition == "still_weak" and "not re-checked" in v.reasons[0].text
    # ...but not once the stats are switched off or the warm-up is gone: then it recovers.
    off = dataclasses.replace(th, use_warmup_stats=False)
    assert judge(reading(), off, prev, DAY + dt.timedelta(days=1)).transition == "recovered"
    gone = reading(has_warmup=False, warmup_status=None, reputation=None)
    assert judge(gone, th, prev, DAY + dt.timedelta(days=1)).transition == "recovered"


def test_problems_of_lists_notes_the_account_does_not_count() -> None:
    codes = [p.code for p in problems_of(reading(warmup_status="INACTIVE"), TH)]
    assert codes == ["warmup_inactive"]
