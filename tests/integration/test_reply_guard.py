"""Reply guard (automation 2) against the Smartlead and Slack sandboxes over loopback, with real
Redis (the shared limiter) and the migrated database; the per-day figures are written straight
into the store automation 4 fills.

The check runs as ``flow.guard_account(ctx)``, the function the scheduled task hands to the
scheduling mechanism (issue 11), which is not on this branch yet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from tasks.reply_guard.flow import guard_account
from tasks.reply_guard.models import GuardPause
from tests.integration.guard_env import GuardStack, audit_rows, days_back, guard_stack

pytestmark = pytest.mark.integration

TODAY = dt.date(2026, 3, 12)
LOW = (400, 1)  # 0.25% by send date
QUIET = (30, 0)  # under min_sent_per_day


@pytest.fixture
def stack(redis_url: str, any_db_url: str) -> Iterator[GuardStack]:
    with guard_stack() as st:
        st.configure("reply_guard", threshold_percent=1.0, days=3, min_sent_per_day=50)
        yield st


def _campaign(
    stack: GuardStack, name: str, per_day: tuple[int, int], today: dt.date = TODAY
) -> str:
    cid = stack.campaign(name)
    stack.totals(cid, name, "ACTIVE")
    stack.figures(cid, {d: per_day for d in days_back(today, 5)})
    return cid


def test_a_campaign_below_the_threshold_is_paused_once_and_the_low_volume_one_left_alone(
    stack: GuardStack,
) -> None:
    low = _campaign(stack, "Cold list A", LOW)
    quiet = _campaign(stack, "Tiny list", QUIET)

    ctx = stack.run("reply_guard", guard_account, TODAY)
    # The same run again (a retry) reports the pause it made and calls nothing; the next day's
    # run knows LeadOps paused it and has not seen it resumed.
    again = stack.run("reply_guard", guard_account, TODAY)
    tomorrow = stack.run("reply_guard", guard_account, TODAY + dt.timedelta(days=1))

    assert stack.detail(low)["status"] == "PAUSED"
    assert [w["body"] for w in stack.writes(low, "status")] == [{"status": "PAUSED"}]
    assert stack.writes(quiet, "status") == [] and stack.detail(quiet)["status"] == "ACTIVE"

    first = ctx.summary["campaigns"]
    assert first[low]["outcome"] == "paused"
    assert (first[low]["sent"], first[low]["replied_by_send_date"]) == (1200, 3)
    assert first[low]["rate_percent"] == 0.25
    assert first[quiet]["outcome"] == "no_decision"
    assert "not enough evidence: 0 of 3" in first[quiet]["reason"]
    assert again.summary["campaigns"][low] == {**first[low], "outcome": "paused"}
    assert tomorrow.summary["campaigns"][low]["outcome"] == "no_decision"
    assert "paused by LeadOps on 2026-03-12" in tomorrow.summary["campaigns"][low]["reason"]

    done = [r for r in audit_rows(automation="reply_guard", action="pause") if r.outcome == "done"]
    assert len(done) == 1 and done[0].subject == low
    assert done[0].details["sent"] == 1200 and done[0].details["replied_by_send_date"] == 3
    assert [d["counted"] for d in done[0].details["days"]] == [True, True, True]

    texts = stack.slack_texts()
    assert len(texts) == 1, texts
    assert "Cold list A" in texts[0] and "3 replies / 1,200 sent = 0.25%" in texts[0]
    assert "Tiny list" not in texts[0]


def test_a_campaign_resumed_by_a_person_is_not_paused_again_within_n_days(
    stack: GuardStack,
) -> None:
    cid = _campaign(stack, "Resumed by Ann", LOW)
    stack.run("reply_guard", guard_account, TODAY)
    assert stack.detail(cid)["status"] == "PAUSED"

    # Ann resumes it in the dashboard; the next morning's check sees it ACTIVE (re-read: the
    # stored status is older than the pause). The resume happened on or before the 13th, so
    # the 14th, 15th and 16th are the first three whole days after it.
    stack.person_sets_status(cid, "ACTIVE")
    for n in (1, 2, 3, 4):
        day = TODAY + dt.timedelta(days=n)
        stack.figures(cid, {day - dt.timedelta(days=1): LOW})
        ctx = stack.run("reply_guard", guard_account, day)
        item = ctx.summary["campaigns"][cid]
        assert item["outcome"] == "no_decision", (n, item)
        assert "resumed by a person on or before 2026-03-13" in item["reason"]
        assert f"{max(0, n - 2)} of 3 fresh days" in item["reason"]
    assert len(stack.writes(cid, "status")) == 1
    assert stack.detail(cid)["status"] == "ACTIVE"

    # Three whole days after the resume, all still under the threshold: paused again.
    day = TODAY + dt.timedelta(days=5)
    stack.figures(cid, {day - dt.timedelta(days=1): LOW})
    ctx = stack.run("reply_guard", guard_account, day)
    assert ctx.summary["campaigns"][cid]["outcome"] == "paused"
    assert len(stack.writes(cid, "status")) == 2

    seen = audit_rows(automation="reply_guard", action="resume_seen")
    assert len(seen) == 1 and seen[0].details["resumed_on"] == str(TODAY + dt.timedelta(days=1))


def test_dry_run_records_and_announces_would_pause_and_calls_nothing(stack: GuardStack) -> None:
    stack.configure("reply_guard", dry_run=True, threshold_percent=1.0)
    cid = _campaign(stack, "Dry list", LOW)

    ctx = stack.run("reply_guard", guard_account, TODAY)

    assert stack.requests() == 0
    assert stack.detail(cid)["status"] == "ACTIVE"
    assert ctx.summary["dry_run"] is True
    assert ctx.summary["campaigns"][cid]["outcome"] == "would_pause"
    rows = audit_rows(automation="reply_guard", action="pause")
    assert [r.outcome for r in rows] == ["dry_run"] and "would pause" in rows[0].reason
    texts = stack.slack_texts()
    assert len(texts) == 1 and "would pause" in texts[0] and "0.25%" in texts[0]
    from sqlalchemy import select

    from workers.db import session_scope

    with session_scope() as s:
        assert list(s.scalars(select(GuardPause))) == []  # not a pause: nothing to wait after


def test_opted_out_campaigns_and_campaigns_not_active_on_reread_are_left_alone(
    stack: GuardStack,
) -> None:
    kept = _campaign(stack, "VIP list", LOW)
    stale = _campaign(stack, "Paused this morning", LOW)
    stack.configure("reply_guard", exclude_campaign_ids=[kept])
    stack.person_sets_status(stale, "PAUSED")  # the stored status is older than this

    ctx = stack.run("reply_guard", guard_account, TODAY)

    assert ctx.summary["campaigns"][kept]["outcome"] == "opted_out"
    assert ctx.summary["campaigns"][stale]["outcome"] == "not_active_on_reread"
    assert stack.writes(kept, "status") == [] and stack.writes(stale, "status") == []
    assert stack.requests() == 1  # the one re-read
    assert stack.slack_texts() == []
