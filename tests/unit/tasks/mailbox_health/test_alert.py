"""The morning's Slack message: names the client account, the mailboxes that changed with the
figure, a count of those still weak; one message within Block Kit's limits however many."""

from __future__ import annotations

import datetime as dt

from ops.sandbox.slack import validate_payload
from tasks.mailbox_health.alert import AccountLabel, build_message
from tasks.mailbox_health.rules import Morning, Previous, morning
from tests.unit.tasks.mailbox_health.test_rules import TH, reading

DAY = dt.date(2026, 12, 2)
ACME = AccountLabel("Acme Ltd", "acme")


def _texts(message: dict) -> list[str]:
    out = [message["text"]]
    for b in message["blocks"]:
        if "text" in b:
            out.append(b["text"]["text"])
        out.extend(e["text"] for e in b.get("elements", []))
    return out


def _weak(id: str, **reasons: object) -> Previous:
    return Previous(DAY - dt.timedelta(days=1), True, frozenset(reasons), dt.date(2026, 11, 28))


def test_names_the_account_the_new_weak_with_figures_recovered_and_a_still_weak_count() -> None:
    previous = {"3": _weak("3", smtp_failed=1), "4": _weak("4", imap_failed=1)}
    m = morning(
        [
            reading("1", reputation=62.0),
            reading("2", smtp_ok=False),
            reading("3"),  # recovered
            reading("4", imap_ok=False),  # still weak
            reading("5"),
        ],
        TH,
        previous,
        DAY,
    )
    msg = build_message(ACME, DAY, m)
    body = "\n".join(_texts(msg))
    assert msg["blocks"][0]["text"]["text"] == "Mailbox health: Acme Ltd"
    assert "*Acme Ltd* (acme) · 2026-12-02 · 5 mailboxes checked · 3 weak" in body
    assert "*box1@acme.io*: reputation 62% (floor 90%)" in body
    assert "*box2@acme.io*: SMTP connection failing" in body
    assert "*box3@acme.io*: recovered (weak since 2026-11-28)" in body
    assert "Still weak, unchanged: 1" in body
    assert "box4@acme.io" not in body and "box5@acme.io" not in body
    assert msg["text"].startswith("Mailbox health, Acme Ltd: 2 newly weak (box1@acme.io, box2")
    assert validate_payload(msg) is None


def test_hundreds_of_changes_stay_one_valid_message_and_say_how_many_more() -> None:
    long = "x" * 250
    readings = [
        reading(
            str(i),
            email=f"{long}{i}@acme.io",
            smtp_ok=False,
            imap_ok=False,
            reputation=12.5,
            warmup_blocked=True,
        )
        for i in range(600)
    ]
    readings += [reading(f"r{i}") for i in range(300)]
    previous = {f"r{i}": _weak(f"r{i}", smtp_failed=1) for i in range(300)}
    msg = build_message(AccountLabel("A" * 400, "slug"), DAY, morning(readings, TH, previous, DAY))
    blocks = msg["blocks"]
    assert len(blocks) <= 50
    assert len(blocks[0]["text"]["text"]) <= 150
    assert all(len(t) <= 3000 for t in _texts(msg))
    body = "\n".join(_texts(msg))
    assert "… and 575 more (`leadops mailboxes slug`)" in body
    assert "… and 275 more" in body
    assert validate_payload(msg) is None


def test_digest_on_a_morning_without_change_lists_the_still_weak() -> None:
    previous = {"1": _weak("1", smtp_failed=1)}
    m = morning([reading("1", smtp_ok=False), reading("2")], TH, previous, DAY)
    assert not m.has_change
    msg = build_message(ACME, DAY, m, digest=True)
    body = "\n".join(_texts(msg))
    assert "No change since the last check." in body
    assert "*box1@acme.io*: SMTP connection failing (since 2026-11-28)" in body
    assert msg["text"].startswith("Mailbox health, Acme Ltd: no change")


def test_digest_with_every_mailbox_healthy() -> None:
    msg = build_message(
        ACME, DAY, Morning(DAY, morning([reading("1")], TH, {}, DAY).verdicts), digest=True
    )
    assert "every mailbox is healthy" in "\n".join(_texts(msg))


def test_addresses_are_escaped_for_mrkdwn() -> None:
    m = morning([reading("1", email="<b>&co@acme.io", smtp_ok=False)], TH, {}, DAY)
    body = "\n".join(_texts(build_message(ACME, DAY, m)))
    assert "&lt;b&gt;&amp;co@acme.io" in body and "<b>" not in body
