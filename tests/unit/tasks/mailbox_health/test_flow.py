"""One account's morning end to end with fakes (SQLite store, fakeredis): stored state and
weak_since, one message per morning, re-runs, agency keys, dry run, remedy, warm-up stats."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tasks.mailbox_health.flow import check_mailboxes
from tests.unit.tasks.mailbox_health.fakes import (
    FakeMailboxes,
    FakeSlack,
    ctx_for,
    mailbox,
    make_account,
)
from workers.clients.errors import TransientError
from workers.db import session_scope
from workers.mailbox_stats import MailboxDay, days_between

DAY1 = dt.date(2026, 12, 1)
DAY2, DAY3 = DAY1 + dt.timedelta(days=1), DAY1 + dt.timedelta(days=2)


def run(account_id: int, day: dt.date, sl: FakeMailboxes, slack: FakeSlack, redis: Any, **kw: Any):
    ctx = ctx_for(account_id, day, **kw)
    check_mailboxes(ctx, smartlead=sl, slack=slack, redis=redis)
    return ctx


def stored(account_id: int, day: dt.date) -> dict[str, MailboxDay]:
    with session_scope() as s:
        return {r.mailbox_id: r for r in days_between(s, account_id, day, day)}


def test_mornings_store_state_and_alert_only_on_change(any_db_url, fake_redis) -> None:
    acme = make_account("acme")
    sl, slack = FakeMailboxes([mailbox(i) for i in range(1, 6)]), FakeSlack()

    first = run(acme, DAY1, sl, slack, fake_redis)
    assert first.summary["alert"] == "none" and slack.messages == []
    assert len(stored(acme, DAY1)) == 5

    sl.set(2, warmup_details={"status": "ACTIVE", "warmup_reputation": "61%"})
    sl.set(4, is_smtp_success=False)
    second = run(acme, DAY2, sl, slack, fake_redis)
    assert second.summary["new_weak"] == 2 and second.summary["alert"] == "sent"
    (msg,) = slack.messages
    assert "box2@acme.io" in str(msg["blocks"]) and "box4@acme.io" in str(msg["blocks"])
    assert "box1@acme.io" not in str(msg["blocks"]) and "Acme Ltd" in msg["text"]

    third = run(acme, DAY3, sl, slack, fake_redis)
    assert third.summary["alert"] == "none" and third.summary["still_weak"] == 2
    assert len(slack.messages) == 1
    rows = stored(acme, DAY3)
    assert rows["2"].weak and rows["2"].weak_since == DAY2 and rows["2"].reputation == 61.0
    assert rows["2"].details["problems"][0]["text"] == "reputation 61% (floor 90%)"
    assert rows["4"].reasons == ["smtp_failed"] and not rows["4"].smtp_ok
    assert not rows["1"].weak and rows["1"].details["since"] == DAY1.isoformat()


def test_a_rerun_of_the_same_morning_replaces_rows_and_sends_nothing_more(any_db_url, fake_redis):
    acme = make_account("acme")
    sl, slack = FakeMailboxes([mailbox(1, is_imap_success=False), mailbox(2)]), FakeSlack()
    run(acme, DAY1, sl, slack, fake_redis)
    again = run(acme, DAY1, sl, slack, fake_redis)
    assert again.summary["alert"] == "already_sent" and len(slack.messages) == 1
    with session_scope() as s:
        assert s.query(MailboxDay).count() == 2
    assert sl.list_calls == 1  # the listing of the morning is shared, also with a re-run


def test_a_failed_post_gives_the_claim_back_so_the_retry_sends(db_url, fake_redis) -> None:
    acme = make_account("acme")
    sl = FakeMailboxes([mailbox(1, is_smtp_success=False)])
    slack = FakeSlack(fail=TransientError("slack webhook -> 500: rollup_error", status_code=500))
    with pytest.raises(TransientError):
        run(acme, DAY1, sl, slack, fake_redis)
    retry = run(acme, DAY1, sl, slack, fake_redis)
    assert retry.summary["alert"] == "sent" and len(slack.messages) == 1


def test_agency_key_lists_once_and_each_client_gets_its_own_mailboxes(db_url, fake_redis):
    north = make_account("north", client_id=11)
    south = make_account("south", client_id=12)
    rows = [mailbox(i, client_id=11) for i in range(1, 4)]
    rows += [mailbox(i, client_id=12, is_smtp_success=(i != 5)) for i in range(4, 7)]
    rows += [mailbox(9, client_id=None, is_smtp_success=False)]  # the agency's own
    sl, slack_n, slack_s = FakeMailboxes(rows), FakeSlack(), FakeSlack()
    a = run(north, DAY1, sl, slack_n, fake_redis)
    b = run(south, DAY1, sl, slack_s, fake_redis)
    assert sl.list_calls == 1
    assert (a.summary["mailboxes"], b.summary["mailboxes"]) == (3, 3)
    assert set(stored(north, DAY1)) == {"1", "2", "3"} and set(stored(south, DAY1)) == {
        "4",
        "5",
        "6",
    }
    assert slack_n.messages == []  # none of north's mailboxes is weak (box9 is not theirs)
    (msg,) = slack_s.messages
    assert "South Ltd" in msg["text"] and "box5@acme.io" in msg["text"]


def test_dry_run_stores_the_state_but_posts_nothing(db_url, fake_redis) -> None:
    acme = make_account("acme")
    sl, slack = FakeMailboxes([mailbox(1, is_smtp_success=False)]), FakeSlack()
    ctx = run(acme, DAY1, sl, slack, fake_redis, dry_run=True)
    assert ctx.summary["alert"] == "dry_run" and slack.messages == []
    assert stored(acme, DAY1)["1"].weak


def test_no_mailboxes_is_a_skip(db_url, fake_redis) -> None:
    acme = make_account("acme", client_id=99)
    ctx = run(acme, DAY1, FakeMailboxes([mailbox(1, client_id=1)]), FakeSlack(), fake_redis)
    assert ctx.skipped == "no mailboxes"


def test_remedy_pauses_a_failing_mailbox_and_restores_its_limit_on_recovery(any_db_url, fake_redis):
    acme = make_account("acme", params={"remedy": "on"})
    sl, slack = FakeMailboxes([mailbox(1), mailbox(2, message_per_day=35)]), FakeSlack()
    run(acme, DAY1, sl, slack, fake_redis)
    sl.set(2, is_smtp_success=False)
    day2 = run(acme, DAY2, sl, slack, fake_redis)
    assert sl.updates == [(2, {"max_email_per_day": 0})]
    assert day2.summary["remedy"] == {"pause_done": 1}
    assert stored(acme, DAY2)["2"].details["remedy"] == {
        "previous_limit": 35,
        "state": "paused",
        "day": DAY2.isoformat(),
    }
    run(acme, DAY3, sl, slack, fake_redis)  # still failing: nothing more to do
    assert len(sl.updates) == 1
    sl.set(2, is_smtp_success=True)
    day4 = run(acme, DAY3 + dt.timedelta(days=1), sl, slack, fake_redis)
    assert sl.updates[-1] == (2, {"max_email_per_day": 35}) and sl.rows[2]["message_per_day"] == 35
    assert day4.summary["recovered"] == 1
    paused, restored = (str(m["blocks"]) for m in slack.messages)
    assert "SMTP connection failing → campaign sending paused (was 35/day)" in paused
    assert "recovered (weak since 2026-12-02) → sending limit restored to 35/day" in restored
    assert stored(acme, DAY3 + dt.timedelta(days=1))["2"].details["remedy"]["state"] == "restored"
    run(acme, DAY3 + dt.timedelta(days=2), sl, slack, fake_redis)
    assert "remedy" not in stored(acme, DAY3 + dt.timedelta(days=2))["2"].details
    assert len(sl.updates) == 2


def test_remedy_dry_run_and_a_refused_call_change_nothing(db_url, fake_redis) -> None:
    from workers.clients.errors import PermanentError

    acme = make_account("acme", params={"remedy": "dry_run"})
    sl, slack = FakeMailboxes([mailbox(1, is_smtp_success=False)]), FakeSlack()
    ctx = run(acme, DAY1, sl, slack, fake_redis)
    assert sl.updates == [] and ctx.summary["remedy"] == {"pause_dry_run": 1}
    assert "would pause campaign sending (was 40/day) (remedy dry run)" in str(slack.messages)
    assert "remedy" not in stored(acme, DAY1)["1"].details

    other = make_account("other", key="sl-key-other", params={"remedy": "on"})
    sl2 = FakeMailboxes([mailbox(7, is_smtp_success=False)])
    sl2.fail_updates = PermanentError('"max_email_per_day" is not allowed', status_code=400)
    ctx = run(other, DAY1, sl2, FakeSlack(), fake_redis)
    assert ctx.summary["remedy"] == {"pause_failed": 1} and ctx.summary["alert"] == "sent"
    assert stored(other, DAY1)["7"].details["remedy"]["state"] == "pending_pause"


def test_warmup_stats_are_asked_once_per_morning_only_where_needed(db_url, fake_redis) -> None:
    acme = make_account("acme", params={"use_warmup_stats": True})
    rows = [
        mailbox(1),  # 98%: clear
        mailbox(2, warmup_details={"status": "ACTIVE", "warmup_reputation": ""}),  # unknown
        mailbox(3, warmup_details=None),  # no warm-up: nothing to ask
        mailbox(4, is_smtp_success=False, warmup_details={"status": "ACTIVE"}),  # already weak
    ]
    sl, slack = FakeMailboxes(rows), FakeSlack()
    sl.warmup[2] = {"sent_count": "140", "spam_count": "28", "inbox_count": "112"}
    ctx = run(acme, DAY1, sl, slack, fake_redis)
    assert sl.warmup_calls == [2]
    assert ctx.summary["warmup_stats"] == {"calls": 1, "cached": 0, "over_budget": 0}
    row = stored(acme, DAY1)["2"]
    assert row.weak and row.reasons == ["warmup_spam"] and row.reputation is None
    assert row.details["warmup_stats"] == {"sent": 140, "spam": 28, "inbox": 112}
    again = run(acme, DAY1, sl, slack, fake_redis)
    assert sl.warmup_calls == [2] and again.summary["warmup_stats"]["cached"] == 1


def test_warmup_stats_respect_the_call_budget(db_url, fake_redis) -> None:
    acme = make_account("acme", params={"use_warmup_stats": True, "warmup_stats_max_calls": 2})
    unknown = {"status": "ACTIVE", "warmup_reputation": ""}
    sl = FakeMailboxes([mailbox(i, warmup_details=unknown) for i in range(1, 6)])
    ctx = run(acme, DAY1, sl, FakeSlack(), fake_redis)
    assert len(sl.warmup_calls) == 2 and ctx.summary["warmup_stats"]["over_budget"] == 3
    run(acme, DAY1, sl, FakeSlack(), fake_redis)  # a re-run has no budget left that morning
    assert len(sl.warmup_calls) == 2


def test_a_listing_deferred_mid_way_resumes_at_the_next_page(db_url, fake_redis) -> None:
    """More pages than the key's burst: the run is deferred and the next one continues."""
    from workers.clients.errors import RateLimitDeferred

    acme = make_account("acme")
    sl = FakeMailboxes([mailbox(i) for i in range(1, 351)])
    sl.defer_at_offset = 200
    with pytest.raises(RateLimitDeferred):
        run(acme, DAY1, sl, FakeSlack(), fake_redis)
    ctx = run(acme, DAY1, sl, FakeSlack(), fake_redis)
    assert ctx.summary["mailboxes"] == 350
    assert sl.offsets == [0, 100, 200, 300]  # pages 0 and 100 were not asked twice
    assert len(stored(acme, DAY1)) == 350
