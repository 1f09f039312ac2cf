"""Reply guard decisions, driven by tables of stored days (automation 2, tasks/reply_guard/rules).

Every table is the last days before a run on TODAY (a Thursday); a day absent from the table is
a day the collection never stored.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tasks.reply_guard.rules import GuardRule, PauseState, decide, resume_day, window
from workers.campaign_stats import DayFigures

TODAY = dt.date(2026, 3, 12)
RULE = GuardRule(threshold_percent=1.0, days=3, min_sent_per_day=50)


def days(*rows: tuple[int, int, int] | None, before: dt.date = TODAY) -> dict[dt.date, DayFigures]:
    """``rows`` oldest first, ending the day before ``before``: (sent, replied_by_sent,
    replied_on_arrival) or None for a day never collected."""
    out = {}
    for i, row in enumerate(reversed(rows), start=1):
        if row is not None:
            day = before - dt.timedelta(days=i)
            out[day] = DayFigures(day=day, sent=row[0], replied_by_sent=row[1], replied=row[2])
    return out


CASES = [
    # name, rows (D-3, D-2, D-1), rule, expected action, words in the reason
    ("clearly below", [(200, 1, 1), (200, 1, 1), (200, 1, 1)], RULE, "pause", "0.50%"),
    ("threshold exactly met", [(200, 2, 0), (200, 2, 0), (200, 2, 0)], RULE, "keep", "1.00%"),
    ("just under the threshold", [(200, 2, 9), (200, 2, 9), (201, 2, 9)], RULE, "pause", "601"),
    ("low volume every day", [(20, 0, 0), (30, 0, 0), (49, 0, 0)], RULE, "no_decision", "0 of 3"),
    (
        "a single lucky low-volume day is not evidence (rate averaging would say 16.7%)",
        [(200, 0, 0), (200, 0, 0), (10, 5, 5)],
        GuardRule(1.0, 3, 50, min_evidence_days=2),
        "pause",
        "0/400",
    ),
    (
        "a single lucky big day counts by its sends, not as one third",
        [(200, 0, 0), (200, 0, 0), (200, 10, 10)],
        RULE,
        "keep",
        "10/600",
    ),
    (
        "a missing day is unknown, not zero",
        [(200, 0, 0), None, (200, 0, 0)],
        RULE,
        "no_decision",
        "2 of 3",
    ),
    (
        "missing days with fewer evidence days needed: decided on what was stored",
        [(200, 0, 0), None, (200, 0, 0)],
        GuardRule(1.0, 3, 50, min_evidence_days=2),
        "pause",
        "0/400",
    ),
    ("everything missing", [None, None, None], RULE, "no_decision", "0 of 3"),
    (
        "a person paused it for a day in between: that day sent nothing",
        [(200, 0, 0), (0, 0, 0), (200, 0, 0)],
        RULE,
        "no_decision",
        "2 of 3",
    ),
    (
        "replies by send date decide, not by arrival",
        [(200, 0, 9), (200, 1, 9), (200, 1, 9)],
        RULE,
        "pause",
        "2/600",
    ),
    ("threshold zero never pauses", [(200, 0, 0)] * 3, GuardRule(0.0, 3, 50), "keep", "0.00%"),
]


@pytest.mark.parametrize(
    ("name", "rows", "rule", "action", "words"), CASES, ids=[c[0] for c in CASES]
)
def test_decision_table(name: str, rows: list, rule: GuardRule, action: str, words: str) -> None:
    decision = decide(TODAY, days(*rows), rule)
    assert decision.action == action, decision.reason
    assert words in decision.reason


def test_the_window_is_the_last_complete_local_days_and_settle_days_move_it_back() -> None:
    assert window(TODAY, RULE) == [dt.date(2026, 3, 9), dt.date(2026, 3, 10), dt.date(2026, 3, 11)]
    settled = GuardRule(1.0, 3, 50, settle_days=1)
    assert window(TODAY, settled)[-1] == dt.date(2026, 3, 10)
    # The newest day's low cohort is then outside the decision.
    figures = days((200, 4, 4), (200, 1, 1), (200, 1, 1), (200, 0, 0))
    assert decide(TODAY, figures, RULE).action == "pause"
    assert decide(TODAY, figures, settled).action == "keep"


def test_the_decision_records_every_day_with_why_it_counted_or_not() -> None:
    decision = decide(TODAY, days((200, 1, 0), None, (20, 0, 0)), RULE)
    notes = {r.day.isoformat(): (r.counted, r.note) for r in decision.rows}
    assert notes == {
        "2026-03-09": (True, ""),
        "2026-03-10": (False, "missing (not collected)"),
        "2026-03-11": (False, "low volume (20 < 50)"),
    }
    data = decision.as_json()
    assert data["days"][1]["sent"] is None  # missing stays unknown, never 0
    assert (data["sent"], data["replied_by_send_date"], data["evidence_days"]) == (200, 1, 1)


def test_a_campaign_leadops_paused_and_not_seen_resumed_is_not_judged() -> None:
    pause = PauseState(paused_on=dt.date(2026, 3, 5))
    decision = decide(TODAY, days((200, 0, 0), (200, 0, 0), (200, 0, 0)), RULE, pause)
    assert decision.action == "no_decision" and "not seen resumed" in decision.reason


def test_after_a_resume_it_waits_for_n_fresh_days_of_evidence() -> None:
    """Resumed on the 9th: the 9th itself is partly paused, so 10th and 11th are the only fresh
    days; the rate is terrible but LeadOps does not fight the person yet."""
    pause = PauseState(paused_on=dt.date(2026, 3, 5), resumed_on=dt.date(2026, 3, 9))
    figures = days((200, 0, 0), (200, 0, 0), (200, 0, 0))
    decision = decide(TODAY, figures, RULE, pause)
    assert decision.action == "no_decision"
    assert "2 of 3 fresh days" in decision.reason
    assert [r.note for r in decision.rows][0].startswith("not after the resume")
    # Next day: three fresh evidence days, the guard may pause again.
    later = days((200, 0, 0), (200, 0, 0), (200, 0, 0), before=TODAY + dt.timedelta(days=1))
    assert decide(TODAY + dt.timedelta(days=1), later, RULE, pause).action == "pause"


def test_fresh_days_must_be_evidence_not_just_calendar_days() -> None:
    pause = PauseState(paused_on=dt.date(2026, 3, 1), resumed_on=dt.date(2026, 3, 7))
    figures = days((200, 0, 0), (10, 0, 0), (10, 0, 0), (200, 0, 0), (200, 0, 0))
    decision = decide(TODAY, figures, GuardRule(1.0, 3, 50, min_evidence_days=2), pause)
    assert decision.action == "no_decision" and "2 of 3 fresh days" in decision.reason


def test_resume_day_is_the_earlier_of_seen_and_first_sending_day_after_the_pause() -> None:
    paused = dt.date(2026, 3, 2)
    figures = {
        dt.date(2026, 3, 2): DayFigures(dt.date(2026, 3, 2), sent=120),  # sent before the pause
        dt.date(2026, 3, 3): DayFigures(dt.date(2026, 3, 3), sent=0),
        dt.date(2026, 3, 5): DayFigures(dt.date(2026, 3, 5), sent=40),
    }
    assert resume_day(paused, dt.date(2026, 3, 9), figures) == dt.date(2026, 3, 5)
    assert resume_day(paused, dt.date(2026, 3, 4), figures) == dt.date(2026, 3, 4)
    assert resume_day(paused, dt.date(2026, 3, 9), {}) == dt.date(2026, 3, 9)


def test_rule_reads_the_account_params() -> None:
    from workers.automations import ReplyGuardParams

    rule = GuardRule.from_params(ReplyGuardParams(threshold_percent=2.5, days=4))
    assert (rule.threshold_percent, rule.days, rule.evidence_needed) == (2.5, 4, 4)
    with pytest.raises(ValueError, match="min_evidence_days"):
        ReplyGuardParams(days=2, min_evidence_days=3)


def test_with_a_confidence_a_rate_just_under_the_threshold_is_not_enough() -> None:
    figures = days((200, 1, 0), (200, 1, 0), (200, 1, 0))  # 0.50%: P(true < 1%) = 0.851
    sure = decide(TODAY, figures, GuardRule(1.0, 3, 50, confidence=0.8))
    unsure = decide(TODAY, figures, GuardRule(1.0, 3, 50, confidence=0.9))
    assert sure.action == "pause"
    assert unsure.action == "keep" and "P(true rate below) 0.851 < 0.9" in unsure.reason


def test_prob_below_is_the_beta_cdf() -> None:
    from tasks.reply_guard.rules import prob_below

    assert prob_below(0, 0, 0.5) == pytest.approx(0.5)  # uniform prior alone
    assert prob_below(0, 1, 0.5) == pytest.approx(0.75)  # Beta(1, 2): 1 - (1 - x)^2
    assert prob_below(3, 600, 0.0) == 0.0 and prob_below(3, 600, 1.0) == 1.0
    with pytest.raises(ValueError):
        prob_below(4, 3, 0.01)
