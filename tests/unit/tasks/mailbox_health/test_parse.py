"""What a mailbox answer really holds: reputation strings, null warm-up, connection failures,
sends against the daily limit, and the 7-day warm-up stats."""

from __future__ import annotations

from typing import Any

import pytest

from tasks.mailbox_health.parse import listing_row, parse_mailbox, parse_warmup_stats
from workers.clients.smartlead_models import EmailAccount


def box(**over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": 2001,
        "from_email": "sdr@acme.io",
        "client_id": 7,
        "is_smtp_success": True,
        "is_imap_success": True,
        "daily_sent_count": "12",
        "message_per_day": "40",
        "warmup_details": {
            "status": "ACTIVE",
            "warmup_reputation": "97%",
            "total_sent_count": "300",
            "total_spam_count": "9",
            "is_warmup_blocked": False,
        },
    }
    row.update(over)
    return row


def warm(**over: Any) -> dict[str, Any]:
    return {**box()["warmup_details"], **over}


@pytest.mark.parametrize(
    ("warmup_details", "reputation", "has_warmup"),
    [
        (warm(warmup_reputation="97%"), 97.0, True),
        (warm(warmup_reputation="0%"), 0.0, True),  # a real zero, not unknown
        (warm(warmup_reputation="72.5%"), 72.5, True),
        (warm(warmup_reputation=" 88 "), 88.0, True),
        (warm(warmup_reputation=""), None, True),  # "" is absent, not 0
        (warm(warmup_reputation=None), None, True),
        ({k: v for k, v in warm().items() if k != "warmup_reputation"}, None, True),
        (None, None, False),  # warm-up never set up
        ("", None, False),
        ({}, None, False),
    ],
)
def test_reputation_is_a_percent_or_unknown_never_a_guess(
    warmup_details: Any, reputation: float | None, has_warmup: bool
) -> None:
    reading = parse_mailbox(box(warmup_details=warmup_details))
    assert reading.reputation == reputation
    assert reading.has_warmup is has_warmup


def test_missing_warmup_details_key_is_the_same_as_null() -> None:
    row = box()
    del row["warmup_details"]
    reading = parse_mailbox(row)
    assert (reading.has_warmup, reading.reputation, reading.warmup_status) == (False, None, None)


@pytest.mark.parametrize(
    ("smtp", "imap", "expected"),
    [(True, True, (True, True)), (False, True, (False, True)), (None, False, (None, False))],
)
def test_connection_failures_and_unreported_are_told_apart(smtp, imap, expected) -> None:
    row = box(is_smtp_success=smtp, is_imap_success=imap)
    if smtp is None:
        del row["is_smtp_success"]
    reading = parse_mailbox(row)
    assert (reading.smtp_ok, reading.imap_ok) == expected


def test_warmup_status_and_blocked_flag() -> None:
    reading = parse_mailbox(box(warmup_details=warm(status="inactive", is_warmup_blocked=True)))
    assert reading.warmup_status == "INACTIVE" and not reading.warmup_active
    assert reading.warmup_blocked is True
    assert parse_mailbox(box()).warmup_active is True


def test_sends_today_against_the_daily_limit_from_strings() -> None:
    reading = parse_mailbox(box(daily_sent_count="40", message_per_day="40"))
    assert (reading.sent_today, reading.daily_limit) == (40, 40)
    no_limit = box()
    del no_limit["message_per_day"]
    assert parse_mailbox(no_limit).daily_limit is None  # unknown, not 0


def test_ids_are_strings_and_the_address_falls_back_to_the_username() -> None:
    reading = parse_mailbox(box(id="2002", from_email=None, username="login@acme.io"))
    assert reading.id == "2002" and reading.email == "login@acme.io"
    assert parse_mailbox(box(from_email="", username=None)).email == "mailbox 2001"


def test_a_listing_row_round_trips_to_the_same_reading() -> None:
    """The shared listing keeps dumped models: parsing the dump gives what the raw row gave."""
    for raw in (
        box(),
        box(warmup_details=None),
        box(warmup_details=warm(warmup_reputation="")),
        box(warmup_details=warm(warmup_reputation="0%"), is_smtp_success=False),
    ):
        dumped = listing_row(EmailAccount.model_validate(raw))
        assert parse_mailbox(dumped) == parse_mailbox(raw)


def test_warmup_stats_counts_come_as_strings() -> None:
    figures = parse_warmup_stats(
        {
            "id": 1,
            "sent_count": "140",
            "spam_count": "21",
            "inbox_count": "119",
            "warmup_email_received_count": "120",
            "stats_by_date": [{"date": "2026-12-01"}],
        }
    )
    assert (figures.sent, figures.spam, figures.inbox) == (140, 21, 119)
    assert figures.spam_percent == 15.0


def test_warmup_stats_without_totals_sum_the_days_and_nothing_sent_is_unknown() -> None:
    figures = parse_warmup_stats(
        {"stats_by_date": [{"date": "d1", "sent_count": "20"}, {"date": "d2", "sent_count": 15}]}
    )
    assert figures.sent == 35
    assert parse_warmup_stats({"sent_count": "0", "stats_by_date": None}).spam_percent is None
