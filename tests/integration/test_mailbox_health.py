"""Automation 7 against the real Smartlead and Slack sandboxes over loopback, real Redis (shared
listing, limiter, alert claim) and the migrated database: 250 mailboxes over 3 pages, one Slack
message naming the two that turned weak, none the next morning, one listing per key shared by
the agency's accounts, the remedy and the warm-up stats through the real endpoints."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.conftest import child_env
from tests.integration.mailbox_env import MailboxStack, boxes, mailbox_stack, stored

pytestmark = pytest.mark.integration

DAY1 = dt.date(2026, 12, 1)
DAY2, DAY3 = DAY1 + dt.timedelta(days=1), DAY1 + dt.timedelta(days=2)


@pytest.fixture
def stack(redis_url: str, db_url: str) -> Iterator[MailboxStack]:
    from workers.redis_client import reset_redis_client

    reset_redis_client()
    with mailbox_stack() as s:
        yield s
    reset_redis_client()


def _remedy_audit(account_id: int) -> list:
    from sqlalchemy import select

    from workers.db import session_scope
    from workers.models import AuditLog

    with session_scope() as s:
        return list(
            s.scalars(
                select(AuditLog)
                .where(AuditLog.account_id == account_id, AuditLog.action.like("remedy_%"))
                .order_by(AuditLog.id)
            )
        )


def _block_text(message: dict) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False)


def test_250_mailboxes_two_newly_weak_give_one_message_then_none(stack: MailboxStack) -> None:
    key = "sl-key-acme-250"
    stack.add_key(key)
    ids = stack.seed(key, boxes(250))
    acme = stack.account("acme", key)

    # Given a first morning where every mailbox is healthy: 3 pages, no message.
    first = stack.morning(acme, DAY1)
    assert first.summary["mailboxes"] == 250 and first.summary["alert"] == "none"
    assert stack.requests(key) == 3  # offsets 0, 100, 200: the short page of 50 ends it
    assert stack.messages("acme") == []

    # When two mailboxes turn weak overnight.
    stack.change(ids[17], reputation="64%")
    stack.change(ids[203], is_smtp_success=False)
    second = stack.morning(acme, DAY2)

    # Then one message names those two, with what is wrong, and nothing else.
    assert second.summary["new_weak"] == 2 and second.summary["alert"] == "sent"
    (msg,) = stack.messages("acme")
    blocks = _block_text(msg)
    assert "sdr017@sender.test*: reputation 64% (floor 90%)" in blocks
    assert "sdr203@sender.test*: SMTP connection failing" in blocks
    assert blocks.count("@sender.test") == 2
    assert "Acme Inc" in msg["text"] and "Acme Inc" in blocks
    assert stack.requests(key) == 6

    # And the next morning with no change sends nothing.
    third = stack.morning(acme, DAY3)
    assert third.summary["still_weak"] == 2 and third.summary["alert"] == "none"
    assert len(stack.messages("acme")) == 1
    rows = stored(acme, DAY3)
    assert len(rows) == 250
    assert rows["sdr017@sender.test"].weak_since == DAY2
    assert rows["sdr203@sender.test"].reasons == ["smtp_failed"]

    # `leadops mailboxes acme --weak` (a real CLI process) shows the two with since when.
    out = subprocess.run(
        [sys.executable, "-m", "ops.cli", "mailboxes", "acme", "--weak"],
        capture_output=True,
        text=True,
        env=child_env(COLUMNS="200"),
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    lines = [ln for ln in out.stdout.splitlines() if "@sender.test" in ln]
    assert len(lines) == 2
    assert "sdr017@sender.test" in lines[0] and "reputation 64% (floor 90%)" in lines[0]
    assert "sdr203@sender.test" in lines[1] and "failing" in lines[1]
    assert all("weak" in ln and "2026-12-02" in ln for ln in lines)
    assert "250 mailboxes, 2 weak" in out.stdout
    missing = subprocess.run(
        [sys.executable, "-m", "ops.cli", "mailboxes", "nobody"],
        capture_output=True,
        text=True,
        env=child_env(COLUMNS="200"),
        timeout=60,
    )
    assert missing.returncode == 2 and "no account 'nobody'" in missing.stderr


def test_accounts_sharing_a_key_cost_one_listing_per_page(stack: MailboxStack) -> None:
    key = "sl-key-agency"
    stack.add_key(key)
    north = boxes(150, prefix="north", client_id=11)
    south = boxes(100, prefix="south", client_id=12)
    mixed = [box for pair in zip(north[:100], south, strict=True) for box in pair] + north[100:]
    mixed[3]["is_smtp_success"] = False  # south001
    mixed[4]["reputation"] = "12%"  # north002
    stack.seed(key, mixed)
    a = stack.account("north", key, client_id=11)
    b = stack.account("south", key, client_id=12)

    ran = [stack.morning(a, DAY1), stack.morning(b, DAY1)]

    assert stack.requests(key) == 3  # 250 mailboxes of the key, listed once for both
    assert [r.summary["mailboxes"] for r in ran] == [150, 100]
    assert {e.split("@")[0][:5] for e in stored(a, DAY1)} == {"north"}
    assert {e.split("@")[0][:5] for e in stored(b, DAY1)} == {"south"}
    (to_north,) = stack.messages("north")
    (to_south,) = stack.messages("south")
    assert "North Inc" in to_north["text"] and "north002@sender.test" in _block_text(to_north)
    assert "south" not in _block_text(to_north)
    assert "South Inc" in to_south["text"] and "south001@sender.test" in _block_text(to_south)


def test_remedy_and_warmup_stats_through_the_real_endpoints(stack: MailboxStack) -> None:
    key = "sl-key-remedy"
    stack.add_key(key)
    ids = stack.seed(
        key,
        [
            {"email": "ok@sender.test", "reputation": "99%"},
            {"email": "fails@sender.test", "reputation": "99%", "message_per_day": 35},
            {
                "email": "unknown@sender.test",
                "reputation": "",
                "total_sent_count": 100,
                "total_spam_count": 30,
            },
            {"email": "never@sender.test", "warmup": False},
        ],
    )
    acme = stack.account("acme", key, params={"remedy": "on", "use_warmup_stats": True})

    first = stack.morning(acme, DAY1)
    assert first.summary["warmup_stats"]["calls"] == 1  # only the unknown reputation is asked
    assert stack.requests(key) == 2  # one page + one warm-up stats call
    rows = stored(acme, DAY1)
    assert rows["unknown@sender.test"].reasons == ["warmup_spam"]
    assert rows["never@sender.test"].reputation is None and not rows["never@sender.test"].weak

    stack.change(ids[1], is_smtp_success=False)
    stack.morning(acme, DAY2)
    assert stack.mailboxes(key)[ids[1]]["message_per_day"] == 0
    assert stack.mailboxes(key)[ids[1]]["warmup_details"]["status"] == "ACTIVE"  # warm-up runs
    assert stored(acme, DAY2)["fails@sender.test"].details["remedy"]["state"] == "paused"

    stack.change(ids[1], is_smtp_success=True)
    third = stack.morning(acme, DAY3)
    assert third.summary["recovered"] == 1
    assert stack.mailboxes(key)[ids[1]]["message_per_day"] == 35
    assert stored(acme, DAY3)["fails@sender.test"].details["remedy"]["state"] == "restored"
    # Each call made once, although Slack's 1/s deferred two mornings into a second attempt.
    assert [(a.action, a.outcome, a.subject) for a in _remedy_audit(acme)] == [
        ("remedy_pause", "done", "fails@sender.test"),
        ("remedy_restore", "done", "fails@sender.test"),
    ]
    texts = [_block_text(m) for m in stack.messages("acme")]
    assert len(texts) == 3  # day 1: warm-up spam; day 2: SMTP; day 3: recovered
    # Day 2's message came from the re-run after the deferral: it still says what was done.
    assert "SMTP connection failing → campaign sending paused (was 35/day)" in texts[1]
    assert "recovered (weak since 2026-12-02) → sending limit restored to 35/day" in texts[2]
