"""Reply routing end to end (automations 3 and 6): Smartlead sandbox webhooks -> gateway -> a
real worker process -> HubSpot, Slack and Smartlead sandboxes, on real Redis.

What reaches HubSpot is read back from the HubSpot sandbox, block lists from the Smartlead
sandbox, notifications from the Slack sandbox; decisions from LeadOps' own tables."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.intake_env import wait_for
from tests.integration.reply_env import (
    CAMPAIGN_NAME,
    ReplyStack,
    audit_rows,
    category_payload,
    reply_stack,
    rows,
)

pytestmark = pytest.mark.integration

N_ACCOUNTS = 4


@pytest.fixture
def stack(redis_url: str, db_url: str, tmp_path: Path) -> Iterator[ReplyStack]:
    with reply_stack(tmp_path, accounts=N_ACCOUNTS) as s:
        yield s


def _prop(stack: ReplyStack, email: str, name: str) -> str | None:
    props = stack.contact(email) or {}
    return props.get(name)


def test_a_reply_then_interested_update_the_hubspot_contact_and_notify_slack(stack) -> None:
    from workers.db import session_scope
    from workers.models import LeadOutcome

    # Given a lead HubSpot knows as a plain lead, and LeadOps uploaded to the campaign
    stack.hs("POST", "/contacts", json={"email": "ann@acme.io", "lifecyclestage": "lead"})
    with session_scope() as s:
        s.add(
            LeadOutcome(
                account_id=stack.account_ids[0],
                campaign_id=str(stack.campaign_id),
                email="ann@acme.io",
                source="clay",
                status="added",
            )
        )
    # When the lead replies in Smartlead
    out = stack.simulate("reply", "ann@acme.io", text="Sounds good, call me Tuesday")
    assert [d["status_code"] for d in out["deliveries"]] == [202]
    # Then the contact carries the reply date, the campaign and the reply flag
    wait_for(lambda: _prop(stack, "ann@acme.io", "smartlead_replied") == "true", 30)
    props = stack.contact("ann@acme.io")
    assert props["smartlead_campaign"] == CAMPAIGN_NAME
    assert props["last_reply_date"].startswith(out["event"]["event_timestamp"][:19])
    assert props["lifecyclestage"] == "lead"  # a reply alone does not qualify anyone
    # The lead's outcome row says replied; the reply wrote no outcome row of its own.
    assert [(r.email, r.status, r.replied) for r in rows(LeadOutcome)] == [
        ("ann@acme.io", "added", True)
    ]

    # When someone categorises the reply as Interested
    stack.simulate("category", "ann@acme.io", category="Interested")
    # Then the category is on the contact and the stage moved forward to SQL
    wait_for(lambda: _prop(stack, "ann@acme.io", "smartlead_reply_category") == "Interested", 30)
    assert stack.contact("ann@acme.io")["lifecyclestage"] == "salesqualifiedlead"
    # And the account's Slack channel heard about it, once
    msgs = wait_for(lambda: stack.slack_messages(), 30)
    assert len(msgs) == 1
    assert "Interested" in msgs[0]["text"] and "ann@acme.io" in msgs[0]["text"]
    # And the custom properties were created in HubSpot exactly once each
    creates = [
        r
        for r in stack.hs_requests()
        if r["method"] == "POST" and r["path"] == "/crm/v3/properties/contacts"
    ]
    assert sorted(r["body"]["name"] for r in creates) == [
        "last_reply_date",
        "smartlead_campaign",
        "smartlead_replied",
        "smartlead_reply_category",
    ]


def test_lifecycle_never_moves_backwards(stack) -> None:
    # Given a customer and an opportunity in HubSpot
    stack.hs("POST", "/contacts", json={"email": "bob@beta.io", "lifecyclestage": "customer"})
    stack.hs("POST", "/contacts", json={"email": "dan@delta.io", "lifecyclestage": "opportunity"})
    # When both reply with Interested / Meeting Request (both map to salesqualifiedlead)
    stack.simulate("category", "bob@beta.io", category="Interested")
    stack.simulate("category", "dan@delta.io", category="Meeting Request")
    wait_for(lambda: _prop(stack, "bob@beta.io", "smartlead_reply_category") == "Interested", 30)
    wait_for(
        lambda: _prop(stack, "dan@delta.io", "smartlead_reply_category") == "Meeting Request", 30
    )
    # Then the customer stays a customer, the opportunity an opportunity
    assert stack.contact("bob@beta.io")["lifecyclestage"] == "customer"
    assert stack.contact("dan@delta.io")["lifecyclestage"] == "opportunity"
    # and LeadOps never even asked HubSpot to move them
    writes = [
        r
        for r in stack.hs_requests()
        if r["method"] in ("PATCH", "POST") and r["path"].startswith("/crm/v3/objects/contacts")
    ]
    assert writes and not any(
        "lifecyclestage" in (r["body"] or {}).get("properties", {}) for r in writes
    )
    kept = [a.reason for a in audit_rows(automation="crm_sync", action="category")]
    assert any("kept customer" in reason for reason in kept)


def test_out_of_order_categories_are_resolved_by_event_time(stack) -> None:
    cid = stack.campaign_id
    # Given a newer category applied first, then an older one arriving late
    r = stack.post_webhook(
        category_payload("eve@eps.io", "Meeting Request", "2025-03-02T09:00:00.000Z", cid)
    )
    assert r.status_code == 202, r.text
    wait_for(
        lambda: _prop(stack, "eve@eps.io", "smartlead_reply_category") == "Meeting Request", 30
    )
    r = stack.post_webhook(
        category_payload("eve@eps.io", "Out Of Office", "2025-03-01T09:00:00.000Z", cid)
    )
    assert r.status_code == 202, r.text
    late_id = r.json()["event_id"]
    wait_for(lambda: audit_rows(event_id=late_id), 30)
    # Then the late older event is recorded as out of order and HubSpot keeps the newer one
    [late] = audit_rows(event_id=late_id)
    assert late.outcome == "skipped" and "out of order" in late.reason
    assert _prop(stack, "eve@eps.io", "smartlead_reply_category") == "Meeting Request"

    # Given two events for one contact delivered at once, the older one last
    newer = stack.post_webhook(
        category_payload("dan@delta.io", "Interested", "2025-04-02T10:00:00.000Z", cid)
    )
    older = stack.post_webhook(
        category_payload("dan@delta.io", "Information Request", "2025-04-01T10:00:00.000Z", cid)
    )
    ids = {newer.json()["event_id"], older.json()["event_id"]}
    wait_for(lambda: {a.event_id for a in audit_rows(subject="dan@delta.io")} >= ids, 30)
    # Then whatever order the worker ran them in, the newer category wins
    assert _prop(stack, "dan@delta.io", "smartlead_reply_category") == "Interested"


def test_an_unsubscribe_is_blocked_in_every_account_with_one_call_each(stack) -> None:
    from workers.blocklist import is_blocked
    from workers.db import session_scope
    from workers.models import BlockedAddress, BlockPush

    before = [stack.requests_of(i) for i in range(N_ACCOUNTS)]
    # When Smartlead delivers the unsubscribe three times (its retries)
    out = stack.simulate("unsubscribe", "cat@gamma.io", repeat=3)
    assert [d["status_code"] for d in out["deliveries"]] == [202, 200, 200]  # 200: duplicate
    # and later someone also marks the lead Do Not Contact (a blocking category)
    stack.simulate("category", "cat@gamma.io", category="Do Not Contact")
    # Then every account's Smartlead block list holds the address
    for i in range(N_ACCOUNTS):
        wait_for(lambda i=i: "cat@gamma.io" in stack.block_list(i), 30)
    wait_for(
        lambda: (
            {p.status for p in rows(BlockPush)} == {"done"} and len(rows(BlockPush)) == N_ACCOUNTS
        ),
        30,
    )
    wait_for(lambda: audit_rows(subject="cat@gamma.io", action="category"), 30)
    time.sleep(1.0)  # room for any stray duplicate push to show up
    # with exactly one block-list call per account, each outcome recorded
    after = [stack.requests_of(i) for i in range(N_ACCOUNTS)]
    assert [a - b for a, b in zip(after, before, strict=True)] == [1] * N_ACCOUNTS
    assert [b.value for b in rows(BlockedAddress)] == ["cat@gamma.io"]
    # and LeadOps' own intake refuses the address from now on
    with session_scope() as s:
        assert is_blocked(s, "Cat@Gamma.io")


def test_a_hubspot_429_is_retried_until_the_contact_is_updated(stack) -> None:
    from workers.models import DeadLetter

    # Given HubSpot answers the next request with 429 (TEN_SECONDLY_ROLLING)
    stack.hs_fault(status=429, count=1)
    # When a reply arrives
    stack.simulate("reply", "ann@acme.io")
    # Then the task backs off, retries, and the contact is updated after all
    wait_for(lambda: _prop(stack, "ann@acme.io", "smartlead_replied") == "true", 45)
    statuses = [r["status"] for r in stack.hs_requests()]
    assert statuses.count(429) == 1 and statuses[0] == 429
    assert rows(DeadLetter) == []


def test_a_hubspot_400_is_dead_lettered_with_its_message_and_replayable(stack) -> None:
    from workers.dead_letters import replay
    from workers.models import DeadLetter

    # Given a contact already synced once
    stack.simulate("reply", "bob@beta.io")
    wait_for(lambda: _prop(stack, "bob@beta.io", "smartlead_replied") == "true", 30)
    n_before = len(stack.hs_requests())
    # When HubSpot refuses the next request with a 400
    stack.hs_fault(status=400, count=1)
    stack.simulate("category", "bob@beta.io", category="Interested")
    # Then the event is dead-lettered at once with HubSpot's message, and audited
    [dl] = wait_for(lambda: rows(DeadLetter), 30)
    assert dl.task_name == "tasks.crm_sync.handle_smartlead_event"
    assert "400" in dl.reason and "Injected fault: 400 VALIDATION_ERROR" in dl.reason
    assert dl.payload["event"]["lead_email"] == "bob@beta.io"
    failed = audit_rows(outcome="failed")
    assert failed and "Injected fault: 400" in failed[0].reason
    time.sleep(1.0)
    new = stack.hs_requests()[n_before:]
    assert [r["status"] for r in new] == [400]  # no retry of a 4xx
    assert _prop(stack, "bob@beta.io", "smartlead_reply_category") is None
    # And once the cause is gone, replaying the dead letter applies the event
    replay(dl.id)
    wait_for(lambda: _prop(stack, "bob@beta.io", "smartlead_reply_category") == "Interested", 30)
