"""Accepting leads (validation, block list, campaign, duplicates) and reading Smartlead's
add-leads answer into per-lead outcomes. fakeredis and SQLite; tasks are captured, not sent."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from workers.clients.smartlead_models import AddLeadsResult
from workers.intake import accept as intake
from workers.intake import buffer, dispatch
from workers.intake.upload import RESEND_REASON, classify
from workers.task_names import FLUSH_INTAKE, UPLOAD_CHUNK


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any], Any]]:
    calls: list[tuple[str, dict[str, Any], Any]] = []
    monkeypatch.setattr(
        dispatch,
        "send",
        lambda name, kwargs, countdown=None: calls.append((name, kwargs, countdown)),
    )
    dispatch.reset_caches()
    return calls


@pytest.fixture
def account(db_url: str) -> int:
    from workers.accounts import set_automation
    from workers.db import session_scope
    from workers.models import Account

    with session_scope() as s:
        a = Account(slug="acme", name="Acme", smartlead_api_key="k")
        s.add(a)
        s.flush()
        set_automation(
            s,
            a,
            "clay_intake",
            params={"default_campaign_id": "77", "chunk_size": 2, "max_delay_seconds": 4},
        )
        return a.id


def _submit(
    account: int, r: Any, email: str, event: str, campaign: str | None = None, **kw: Any
) -> intake.AcceptResult:
    return intake.submit_lead(
        account, campaign, {"email": email, **kw}, source="clay", event_id=event, redis=r
    )


def test_a_lead_is_buffered_for_the_default_campaign_and_a_flush_scheduled(
    account: int, fake_redis: Any, sent: list[Any]
) -> None:
    result = _submit(
        account,
        fake_redis,
        "Ann@Example.com",
        "e1",
        first_name="Ann",
        company="ignored",
        custom_fields={"title": "CEO", "none": None},
    )
    assert (result.status, result.campaign_id, result.email) == (
        "buffered",
        "77",
        "ann@example.com",
    )
    [entry] = fake_redis.lrange(buffer.buf_key(account, "77"), 0, -1)
    assert b'"email":"ann@example.com"' in entry and b"ignored" not in entry
    assert [
        (name, countdown is not None and 3.5 < countdown <= 4.0) for name, _, countdown in sent
    ] == [(FLUSH_INTAKE, True)]


def test_a_full_chunk_is_claimed_and_handed_to_one_upload_task(
    account: int, fake_redis: Any, sent: list[Any]
) -> None:
    _submit(account, fake_redis, "a@example.com", "e1")
    _submit(account, fake_redis, "b@example.com", "e2")
    uploads = [kw for name, kw, _ in sent if name == UPLOAD_CHUNK]
    assert uploads == [{"account_id": account, "chunk_id": f"{account}-1", "gen": 1}]


@pytest.mark.parametrize(
    "email, reason",
    [(None, "missing email"), ("", "missing email"), ("not-an-email", "invalid email")],
)
def test_a_lead_without_a_valid_email_is_rejected_with_the_reason(
    account: int, fake_redis: Any, sent: list[Any], email: Any, reason: str
) -> None:
    result = intake.submit_lead(
        account, None, {"email": email}, source="csv", event_id="x", redis=fake_redis
    )
    assert result.status == "rejected" and result.reason.startswith(reason)
    assert fake_redis.llen(buffer.buf_key(account, "77")) == 0


def test_no_campaign_anywhere_is_rejected(db_url: str, fake_redis: Any, sent: list[Any]) -> None:
    from workers.db import session_scope
    from workers.models import Account

    with session_scope() as s:
        a = Account(slug="bare", name="Bare")
        s.add(a)
        s.flush()
        account_id = a.id
    result = _submit(account_id, fake_redis, "a@example.com", "e1")
    assert result.status == "rejected" and "no campaign" in result.reason


def test_a_blocked_address_is_refused_and_recorded(
    account: int, fake_redis: Any, sent: list[Any]
) -> None:
    from workers.db import session_scope
    from workers.models import BlockedAddress, LeadOutcome

    with session_scope() as s:
        s.add(BlockedAddress(value="spam.example", kind="domain"))
    assert _submit(account, fake_redis, "x@spam.example", "e1").status == "blocked"
    with session_scope() as s:
        row = s.query(LeadOutcome).one()
        assert (row.email, row.status, row.campaign_id) == ("x@spam.example", "blocked", "77")
    assert fake_redis.llen(buffer.buf_key(account, "77")) == 0


def test_duplicates_by_event_and_by_email_are_not_buffered_twice(
    account: int, fake_redis: Any, sent: list[Any]
) -> None:
    assert _submit(account, fake_redis, "a@example.com", "e1").status == "buffered"
    assert _submit(account, fake_redis, "a@example.com", "e1").status == "duplicate"
    again = _submit(account, fake_redis, "A@example.com", "e2")
    assert again.status == "duplicate" and "pending" in again.reason
    assert _submit(account, fake_redis, "a@example.com", "e3", campaign="88").status == "buffered"


def test_a_lead_already_uploaded_is_a_duplicate_but_a_dead_one_may_come_back(
    account: int, fake_redis: Any, sent: list[Any]
) -> None:
    from workers.db import session_scope
    from workers.models import LeadOutcome

    with session_scope() as s:
        s.add(
            LeadOutcome(
                account_id=account,
                campaign_id="77",
                email="up@example.com",
                source="clay",
                status="added",
            )
        )
        s.add(
            LeadOutcome(
                account_id=account,
                campaign_id="77",
                email="dead@example.com",
                source="clay",
                status="dead",
                event_id="old",
            )
        )
    assert _submit(account, fake_redis, "up@example.com", "n1").status == "duplicate"
    fake_redis.set(buffer.event_key(account, "old"), 1)
    assert _submit(account, fake_redis, "dead@example.com", "old").status == "buffered"


def _answer(**kw: Any) -> Any:
    return AddLeadsResult.from_answer(kw)


EMAILS = ["a@x.com", "b@x.com", "c@x.com", "d@x.com"]


def test_every_lead_added_when_nothing_was_refused() -> None:
    out, notes = classify(EMAILS, _answer(upload_count=4, total_leads=4))
    assert {v[0] for v in out.values()} == {"added"} and notes == []


def test_invalid_emails_are_named_and_the_rest_added() -> None:
    out, notes = classify(
        EMAILS,
        _answer(upload_count=3, total_leads=4, invalid_email_count=1, invalid_emails=["C@x.com"]),
    )
    assert out["c@x.com"][0] == "invalid_email"
    assert [out[e][0] for e in ("a@x.com", "b@x.com", "d@x.com")] == ["added"] * 3
    assert notes == []


def test_one_kind_of_refusal_covering_all_the_rest_is_attributed() -> None:
    out, _ = classify(EMAILS, _answer(upload_count=0, total_leads=4, already_added_to_campaign=4))
    assert {v[0] for v in out.values()} == {"already_in_campaign"}
    out, _ = classify(
        EMAILS, _answer(total_leads=4, unsubscribed_leads=["b@x.com"], upload_count=3)
    )
    assert out["b@x.com"][0] == "unsubscribed" and out["a@x.com"][0] == "added"


def test_a_resend_counted_as_already_in_campaign_is_the_first_send_succeeding() -> None:
    out, _ = classify(
        EMAILS, _answer(upload_count=1, total_leads=4, already_added_to_campaign=3), resend=True
    )
    assert {v for v in out.values()} == {("added", RESEND_REASON)}


def test_mixed_counts_are_unresolved_with_the_counts_in_the_reason() -> None:
    out, _ = classify(
        EMAILS, _answer(upload_count=2, total_leads=4, block_count=1, already_added_to_campaign=1)
    )
    assert {v[0] for v in out.values()} == {"unresolved"}
    assert "blocked 1" in out["a@x.com"][1]


def test_counts_that_do_not_add_up_are_reported() -> None:
    _, notes = classify(EMAILS, _answer(upload_count=2, total_leads=5))
    assert any("total_leads 5" in n for n in notes)
    assert any("add up to 2" in n for n in notes)


def test_classify_accepts_any_answer_shape_with_the_fields() -> None:
    answer = SimpleNamespace(
        invalid_emails=[], upload_count=1, total_leads=1, invalid_email_count=0
    )
    out, notes = classify(["a@x.com"], answer)
    assert out == {"a@x.com": ("added", "")} and notes == []
