"""Automation 3 (CRM sync) with fakes: what reaches HubSpot, in which order, and what does not."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from tasks.crm_sync import hubspot as crm_hubspot
from tasks.crm_sync import sync as crm_sync
from tasks.crm_sync.events import BadEvent, parse_event
from tests.unit.tasks.fakes import FakeHubSpot, FakeSlack, SentTasks, make_account
from workers.clients.errors import PermanentError, RateLimitDeferred

REPLY = "EMAIL_REPLY"
CATEGORY = "LEAD_CATEGORY_UPDATED"


def reply(email: str = "ann@acme.io", ts: str = "2025-03-01T10:00:00Z", **extra: Any) -> dict:
    return {
        "lead_email": email,
        "campaign_id": "42",
        "campaign_name": "Spring outreach",
        "event_timestamp": ts,
        "reply_preview": "Sounds good, call me",
        **extra,
    }


def category(name: str, email: str = "ann@acme.io", ts: str = "2025-03-01T11:00:00Z") -> dict:
    return {
        "lead_email": email,
        "campaign_id": "42",
        "event_timestamp": ts,
        "category_new_name": name,
        "category_old_name": None,
    }


@pytest.fixture
def env(db_url: str, fake_redis: Any) -> dict[str, Any]:
    hs = FakeHubSpot()
    sent = SentTasks()

    def run(account_id: int, event_id: str, event_type: str, event: dict) -> dict:
        return crm_sync.handle_event(
            account_id,
            event_id,
            event_type,
            event,
            hubspot_for=lambda a: hs,
            redis=fake_redis,
            send_task=sent,
        )

    crm_hubspot._options_cache.clear()
    return {"hs": hs, "sent": sent, "run": run, "redis": fake_redis}


def _outcomes(account_id: int) -> list[Any]:
    from workers.db import session_scope
    from workers.models import LeadOutcome

    with session_scope() as s:
        return list(s.scalars(select(LeadOutcome).where(LeadOutcome.account_id == account_id)))


def test_reply_creates_the_contact_with_reply_properties_and_marks_the_lead_replied(env) -> None:
    acc = make_account("acme")
    result = env["run"](acc, "e1", REPLY, reply())
    assert result["outcome"] == "done" and result["created"] is True
    props = env["hs"].contacts["ann@acme.io"]["properties"]
    assert props["smartlead_replied"] == "true"
    assert props["last_reply_date"] == "2025-03-01T10:00:00.000Z"
    assert props["smartlead_campaign"] == "Spring outreach"
    assert "lifecyclestage" not in props
    assert {
        "last_reply_date",
        "smartlead_replied",
        "smartlead_campaign",
        "smartlead_reply_category",
    } <= env["hs"].properties
    # A reply in a campaign LeadOps never uploaded to writes no lead outcome.
    assert _outcomes(acc) == []


def test_reply_updates_an_existing_contact_and_existing_outcome_rows(env) -> None:
    from workers.db import session_scope
    from workers.models import LeadOutcome

    acc = make_account("acme")
    cid = env["hs"].seed("ann@acme.io", lifecyclestage="lead")
    with session_scope() as s:
        s.add(
            LeadOutcome(
                account_id=acc, campaign_id="7", email="ann@acme.io", source="clay", status="added"
            )
        )
    env["run"](acc, "e1", REPLY, reply())
    assert (
        "update",
        (
            cid,
            {
                "last_reply_date": "2025-03-01T10:00:00.000Z",
                "smartlead_replied": "true",
                "smartlead_campaign": "Spring outreach",
            },
        ),
    ) in env["hs"].calls
    # The existing row is flagged replied; no 'added' row appears for campaign 42.
    assert {(r.campaign_id, r.status, r.replied) for r in _outcomes(acc)} == {("7", "added", True)}


def test_missing_contact_is_not_created_when_the_account_says_so(env) -> None:
    acc = make_account("acme", crm={"create_missing_contacts": False})
    result = env["run"](acc, "e1", REPLY, reply())
    assert result["outcome"] == "skipped"
    assert "create" not in env["hs"].names() and env["hs"].contacts == {}


def test_interested_moves_a_lead_to_sales_qualified(env) -> None:
    acc = make_account("acme")
    env["hs"].seed("ann@acme.io", lifecyclestage="lead")
    result = env["run"](acc, "e1", CATEGORY, category("Interested"))
    props = env["hs"].contacts["ann@acme.io"]["properties"]
    assert props["lifecyclestage"] == "salesqualifiedlead"
    assert props["smartlead_reply_category"] == "Interested"
    assert "moved lead -> salesqualifiedlead" in result["reason"]


def test_a_customer_stays_a_customer(env) -> None:
    acc = make_account("acme")
    cid = env["hs"].seed("ann@acme.io", lifecyclestage="customer")
    env["run"](acc, "e1", CATEGORY, category("Meeting Request"))
    assert ("update", (cid, {"smartlead_reply_category": "Meeting Request"})) in env["hs"].calls
    assert env["hs"].contacts["ann@acme.io"]["properties"]["lifecyclestage"] == "customer"


def test_a_late_older_category_never_overwrites_a_newer_one(env) -> None:
    acc = make_account("acme")
    env["hs"].seed("ann@acme.io", lifecyclestage="lead")
    env["run"](acc, "new", CATEGORY, category("Interested", ts="2025-03-02T09:00:00Z"))
    late = env["run"](acc, "old", CATEGORY, category("Out Of Office", ts="2025-03-01T09:00:00Z"))
    assert late["outcome"] == "skipped" and "out of order" in late["reason"]
    props = env["hs"].contacts["ann@acme.io"]["properties"]
    assert props["smartlead_reply_category"] == "Interested"


def test_an_older_reply_does_not_move_last_reply_date_back(env) -> None:
    acc = make_account("acme")
    env["run"](acc, "r2", REPLY, reply(ts="2025-03-05T10:00:00Z"))
    late = env["run"](acc, "r1", REPLY, reply(ts="2025-03-01T10:00:00Z"))
    assert late["outcome"] == "skipped"
    props = env["hs"].contacts["ann@acme.io"]["properties"]
    assert props["last_reply_date"] == "2025-03-05T10:00:00.000Z"


def test_a_redelivered_event_does_nothing(env) -> None:
    acc = make_account("acme")
    env["run"](acc, "e1", REPLY, reply())
    calls = len(env["hs"].calls)
    again = env["run"](acc, "e1", REPLY, reply())
    assert again == {"outcome": "skipped", "reason": "event already handled"}
    assert len(env["hs"].calls) == calls


def test_custom_properties_are_created_once(env) -> None:
    acc = make_account("acme")
    env["run"](acc, "e1", REPLY, reply(ts="2025-03-01T10:00:00Z"))
    env["run"](acc, "e2", REPLY, reply(ts="2025-03-02T10:00:00Z"))
    assert env["hs"].names().count("ensure_property") == len(crm_hubspot.PROPERTIES)


def test_a_hubspot_4xx_is_dead_lettered_and_audited_with_its_message(env, monkeypatch) -> None:
    import tasks.crm_sync.tasks as task_module
    from workers.db import session_scope
    from workers.models import AuditLog, DeadLetter, ProcessedEvent

    acc = make_account("acme")
    env["hs"].fail_with = PermanentError(
        "hubspot PATCH -> 400: Property values were not valid", status_code=400, service="hubspot"
    )
    monkeypatch.setattr(task_module, "hubspot_for", lambda a: env["hs"])
    monkeypatch.setattr(crm_sync, "redis_client", lambda: env["redis"])
    with pytest.raises(PermanentError):
        task_module.handle_smartlead_event(
            account_id=acc, event_id="e1", event_type=REPLY, event=reply()
        )
    with session_scope() as s:
        row = s.scalar(select(AuditLog).where(AuditLog.outcome == "failed"))
        assert row is not None and "Property values were not valid" in row.reason
        dl = s.scalar(select(DeadLetter))
        assert dl.task_name == "tasks.crm_sync.handle_smartlead_event"
        assert "Property values were not valid" in dl.reason
        assert dl.payload["event_id"] == "e1"
        assert s.scalar(select(ProcessedEvent.id)) is None  # a replay may still apply it


def test_a_busy_contact_defers_the_event(env) -> None:
    acc = make_account("acme")
    lock_name = f"leadops:lock:crm_sync:{acc}:{crm_sync._email_key('ann@acme.io')}"
    held = env["redis"].lock(lock_name, timeout=30)
    assert held.acquire()
    crm_sync.LOCK_WAIT, saved = 0.1, crm_sync.LOCK_WAIT
    try:
        with pytest.raises(RateLimitDeferred):
            env["run"](acc, "e1", REPLY, reply())
    finally:
        crm_sync.LOCK_WAIT = saved
        held.release()
    assert env["hs"].calls == []


def test_dry_run_and_disabled_write_nothing_to_hubspot(env) -> None:
    dry = make_account("dry", dry_run=True)
    off = make_account("off", crm_enabled=False)
    assert env["run"](dry, "e1", CATEGORY, category("Interested"))["outcome"] == "dry_run"
    assert env["run"](off, "e2", CATEGORY, category("Interested"))["outcome"] == "skipped"
    assert env["hs"].calls == []


def test_blocking_category_blocks_the_address_in_every_account(env) -> None:
    from workers.db import session_scope
    from workers.models import BlockedAddress
    from workers.task_names import PUSH_BLOCK as PUSH_TASK

    acc = make_account("acme")
    other = make_account("beta")
    result = env["run"](acc, "e1", CATEGORY, category("Do Not Contact"))
    assert result["block"]["outcome"] == "done"
    pushes = env["sent"].named(PUSH_TASK)
    assert sorted(p["account_id"] for p in pushes) == sorted([acc, other])
    with session_scope() as s:
        assert s.scalar(select(BlockedAddress.value)) == "ann@acme.io"


def test_interested_reply_queues_a_slack_notification_once(env, fake_redis) -> None:
    acc = make_account("acme", slack=True, crm={"notify_slack": True})
    env["run"](acc, "e1", CATEGORY, category("Interested"))
    env["run"](acc, "e2", CATEGORY, category("Out Of Office", ts="2025-03-03T00:00:00Z"))
    [note] = env["sent"].named(crm_sync.NOTIFY_TASK)
    assert note["category"] == "Interested" and note["email"] == "ann@acme.io"
    slack = FakeSlack()
    first = crm_sync.notify_slack(**note, slack_for=lambda a: slack)
    second = crm_sync.notify_slack(**note, slack_for=lambda a: slack)
    assert first["outcome"] == "done" and second["outcome"] == "skipped"
    assert len(slack.posts) == 1 and "ann@acme.io" in slack.posts[0]


def test_a_created_contact_carries_the_leads_name_and_company_and_the_replys_own_time(
    env,
) -> None:
    """The webhook arrives an hour after the reply: last_reply_date is the reply's time."""
    acc = make_account("acme")
    event = reply(
        ts="2025-03-01T11:00:00Z",
        reply_time="2025-03-01T10:00:00+00:00",
        first_name="Ann",
        last_name="Lee",
        company_name="Acme Inc",
    )
    env["run"](acc, "e1", REPLY, event)
    props = env["hs"].contacts["ann@acme.io"]["properties"]
    assert (props["firstname"], props["lastname"], props["company"]) == ("Ann", "Lee", "Acme Inc")
    assert props["last_reply_date"] == "2025-03-01T10:00:00.000Z"


def test_an_existing_contacts_name_is_not_overwritten_from_a_webhook(env) -> None:
    acc = make_account("acme")
    cid = env["hs"].seed("ann@acme.io", firstname="Annabel")
    env["run"](acc, "e1", REPLY, reply(first_name="Ann", last_name="Lee"))
    [(kind, (contact, props))] = [c for c in env["hs"].calls if c[0] == "update"]
    assert contact == cid and "firstname" not in props and "lastname" not in props


def test_raw_smartlead_payloads_are_understood() -> None:
    raw_reply = {
        "sl_lead_email": "Bob@X.com",
        "campaign_id": 9,
        "event_timestamp": 1740823200000,
        "reply_message": {"text": "hi"},
    }
    ev = parse_event(REPLY, {**raw_reply, "lead_data": {"first_name": "Bob", "company_name": "X"}})
    assert (ev.first_name, ev.last_name, ev.company) == ("Bob", None, "X")
    assert (ev.email, ev.campaign_id, ev.at) == (
        "bob@x.com",
        "9",
        datetime(2025, 3, 1, 10, 0, tzinfo=UTC),
    )
    assert ev.preview == "hi"
    raw_cat = {
        "lead_data": {"email": "bob@x.com"},
        "event_timestamp": "2025-03-01T10:00:00",
        "lead_category": {"new_name": "Interested", "old_name": None},
    }
    ev = parse_event(CATEGORY, raw_cat)
    assert ev.category == "Interested" and ev.at.tzinfo is not None
    with pytest.raises(BadEvent):
        parse_event(CATEGORY, {"lead_email": "bob@x.com"})
    with pytest.raises(BadEvent):
        parse_event(REPLY, {"campaign_id": 1})


@pytest.mark.parametrize(
    ("current", "target", "write"),
    [
        (None, "salesqualifiedlead", True),
        ("lead", "salesqualifiedlead", True),
        ("salesqualifiedlead", "salesqualifiedlead", False),
        ("opportunity", "salesqualifiedlead", False),
        ("customer", "salesqualifiedlead", False),
        ("weird", "salesqualifiedlead", False),
        ("lead", "not-a-stage", False),
    ],
)
def test_lifecycle_only_moves_forward(current, target, write) -> None:
    order = crm_hubspot.stage_values(
        ["subscriber", "lead", "salesqualifiedlead", "opportunity", "customer"]
    )
    assert crm_hubspot.lifecycle_move(current, target, order)[0] is write


def test_properties_deleted_in_hubspot_are_created_again_and_the_write_repeated(env) -> None:
    acc = make_account("acme")
    env["run"](acc, "e1", REPLY, reply(ts="2025-03-01T10:00:00Z"))
    hs = env["hs"]
    real_update = hs.update_contact
    refusals = []

    def update_once_refused(contact_id: str, properties: dict) -> dict:
        if not refusals:
            refusals.append(1)
            hs.properties.clear()
            raise PermanentError(
                "hubspot PATCH -> 400 VALIDATION_ERROR: Property values were "
                'not valid: [{"error":"PROPERTY_DOESNT_EXIST"}]',
                status_code=400,
            )
        return real_update(contact_id, properties)

    hs.update_contact = update_once_refused
    result = env["run"](acc, "e2", REPLY, reply(ts="2025-03-02T10:00:00Z"))
    assert result["outcome"] == "done"
    assert set(crm_hubspot.PROPERTIES) <= hs.properties
    assert hs.contacts["ann@acme.io"]["properties"]["last_reply_date"].startswith("2025-03-02")
