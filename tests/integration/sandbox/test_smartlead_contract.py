"""Contract: every SmartleadClient method against the sandbox over real loopback HTTP, checking
both what the sandbox stored and what the client returned."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.integration.sandbox.conftest import KEY, OTHER_KEY, Sandbox
from workers.clients.errors import NotFound, PermanentError

pytestmark = pytest.mark.integration

SCHEDULE = {
    "timezone": "America/New_York",
    "days_of_the_week": [1, 2, 3, 4, 5],
    "start_hour": "09:00",
    "end_hour": "17:30",
    "min_time_btw_emails": 12,
    "max_new_leads_per_day": 40,
}


def test_campaign_lifecycle_create_get_list_status_schedule_settings(sandbox: Sandbox) -> None:
    client = sandbox.client()
    created = client.create_campaign("Q3 outbound", client_id=77)
    assert created.ok and created.name == "Q3 outbound"
    stored = sandbox.state.campaigns[created.id]
    assert (stored.name, stored.status, stored.client_id) == ("Q3 outbound", "DRAFTED", 77)

    other = client.create_campaign("no client")
    assert {c.id for c in client.list_campaigns()} == {created.id, other.id}
    assert [c.id for c in client.list_campaigns(client_id=77)] == [created.id]

    client.set_campaign_status(created.id, "START")
    assert stored.status == "ACTIVE"
    client.save_schedule(created.id, SCHEDULE)
    client.update_settings(
        created.id,
        {
            "unsubscribe_text": "Reply STOP",
            "follow_up_percentage": 60,
            "track_settings": ["DONT_TRACK_EMAIL_OPEN"],
        },
    )
    assert stored.schedule == SCHEDULE and stored.settings["follow_up_percentage"] == 60

    campaign = client.get_campaign(created.id)
    assert campaign is not None and campaign.status == "ACTIVE"
    assert campaign.scheduler_cron_value == {
        "tz": "America/New_York",
        "days": [1, 2, 3, 4, 5],
        "startHour": "09:00",
        "endHour": "17:30",
    }
    assert campaign.min_time_btwn_emails == 12 and campaign.max_leads_per_day == 40
    assert campaign.unsubscribe_text == "Reply STOP"

    client.set_campaign_status(created.id, "STOPPED")
    with pytest.raises(PermanentError, match="stopped"):
        client.set_campaign_status(created.id, "START")
    assert stored.status == "STOPPED"


def test_deleted_campaign_reads_as_none_and_other_keys_campaigns_are_invisible(
    sandbox: Sandbox,
) -> None:
    sandbox.post("/admin/keys", {"api_key": OTHER_KEY})
    mine = sandbox.post("/admin/campaigns", {"api_key": KEY, "name": "mine"})["id"]
    theirs = sandbox.post("/admin/campaigns", {"api_key": OTHER_KEY, "name": "theirs"})["id"]
    client = sandbox.client()
    assert client.get_campaign(theirs) is None
    with pytest.raises(NotFound):
        client.get_campaign_analytics(theirs)
    sandbox.admin.delete(f"/admin/campaigns/{mine}")
    assert client.get_campaign(mine) is None
    assert client.list_campaigns() == []


def test_sequences_are_written_snake_case_and_read_back_camel_case(sandbox: Sandbox) -> None:
    client = sandbox.client()
    cid = client.create_campaign("seq").id
    client.save_sequences(
        cid,
        [
            {
                "seq_number": 1,
                "seq_delay_details": {"delay_in_days": 0},
                "subject": "Hi",
                "email_body": "<p>Hello {{first_name}}</p>",
            },
            {
                "seq_number": 2,
                "seq_delay_details": {"delayInDays": 3},
                "subject": "",
                "email_body": "Bump",
            },
        ],
    )
    assert [s["delay_in_days"] for s in sandbox.state.campaigns[cid].sequences] == [0, 3]
    steps = client.get_sequences(cid)
    assert [(s.seq_number, s.seq_delay_details.delay_in_days) for s in steps] == [(1, 0), (2, 3)]
    assert steps[0].id is not None and steps[1].email_body == "Bump"
    # Re-saving with ids keeps them (the API replaces the whole sequence).
    client.save_sequences(cid, [steps[0].model_copy(update={"subject": "Hi again"})])
    again = client.get_sequences(cid)
    assert [(s.id, s.subject) for s in again] == [(steps[0].id, "Hi again")]


def test_mailboxes_pages_reputation_and_campaign_assignment(sandbox: Sandbox) -> None:
    ids = [
        sandbox.post(
            "/admin/mailboxes",
            {"api_key": KEY, "email": f"s{i}@send.test", "reputation": f"{90 + i % 10}%"},
        )["id"]
        for i in range(205)
    ]
    client = sandbox.client()
    boxes = client.list_email_accounts()
    assert [b.id for b in boxes] == ids
    assert boxes[3].reputation == 93.0 and boxes[3].from_email == "s3@send.test"
    assert boxes[0].is_smtp_success is True
    requests = sandbox.get("/admin/stats")["keys"][sandbox.state.keys[KEY].hash]["requests"]
    assert requests == 3  # offsets 0, 100, 200 (a short page of 5 ends it)

    cid = client.create_campaign("boxes").id
    client.add_campaign_mailboxes(cid, ids[:3])
    assert sandbox.state.campaigns[cid].mailbox_ids == ids[:3]
    client.remove_campaign_mailboxes(cid, [ids[1]])
    assert [b.id for b in client.list_campaign_mailboxes(cid)] == [ids[0], ids[2]]
    with pytest.raises(PermanentError, match="not found"):
        client.add_campaign_mailboxes(cid, [999999])


def test_add_leads_counts_dedup_invalid_block_and_other_campaign(sandbox: Sandbox) -> None:
    client = sandbox.client()
    cid = client.create_campaign("leads").id
    first = client.add_leads(
        cid,
        [
            {
                "email": "Ann@Acme.com",
                "first_name": "Ann",
                "company_name": "Acme",
                "custom_fields": {"role": "CTO"},
            },
            {"email": "bob@beta.io"},
            {"email": "not-an-email"},
            {"email": "bob@beta.io"},
        ],
    )
    assert (
        first.upload_count,
        first.total_leads,
        first.invalid_email_count,
        first.duplicate_count,
        first.already_added_to_campaign,
    ) == (2, 4, 1, 1, 0)
    assert first.invalid_emails == ["not-an-email"]

    client.add_to_block_list(["blocked.com", "eve@evil.org"])
    assert sandbox.get("/admin/blocklist", api_key=KEY)["entries"] == [
        "blocked.com",
        "eve@evil.org",
    ]
    second = client.add_leads(
        cid,
        [
            {"email": "ann@acme.com"},
            {"email": "x@blocked.com"},
            {"email": "eve@evil.org"},
            {"email": "new@gamma.dev"},
        ],
    )
    assert (second.upload_count, second.already_added_to_campaign, second.block_count) == (1, 1, 2)

    stored = sandbox.get(f"/admin/campaigns/{cid}/leads")
    assert sorted(lead["email"] for lead in stored["leads"]) == [
        "ann@acme.com",
        "bob@beta.io",
        "new@gamma.dev",
    ]
    assert stored["upload_counts"]["ann@acme.com"] == 2
    stats = sandbox.get("/admin/stats")["keys"][sandbox.state.keys[KEY].hash]
    assert stats["leads_uploaded_more_than_once"] == 1

    other = client.create_campaign("other").id
    dup = client.add_leads(other, [{"email": "bob@beta.io"}])
    assert (dup.upload_count, dup.duplicate_count) == (0, 1)
    allowed = client.add_leads(
        other,
        [{"email": "bob@beta.io"}],
        settings={"ignore_duplicate_leads_in_other_campaign": True},
    )
    assert allowed.upload_count == 1


def test_campaign_leads_pages_and_lead_by_email(sandbox: Sandbox) -> None:
    client = sandbox.client()
    cid = client.create_campaign("pages").id
    for chunk in range(3):
        client.add_leads(cid, [{"email": f"p{chunk * 100 + i}@x.com"} for i in range(100)])
    page = client.list_campaign_leads(cid, offset=100, limit=50)
    assert page.total_leads == 300 and len(page.data) == 50
    assert page.data[0].lead.email == "p100@x.com" and page.data[0].status == "STARTED"
    assert len(list(client.iter_campaign_leads(cid))) == 300

    lead = client.get_lead_by_email("p5@x.com")
    assert lead is not None and lead.email == "p5@x.com"
    assert [d.campaign_id for d in lead.lead_campaign_data] == [cid]
    assert lead.lead_campaign_data[0].campaign_lead_map_id == page.data[0].campaign_lead_map_id - 95
    assert client.get_lead_by_email("nobody@nowhere.com") is None


def test_analytics_whole_campaign_one_day_and_statistics(sandbox: Sandbox) -> None:
    client = sandbox.client()
    cid = client.create_campaign("numbers").id
    client.add_leads(cid, [{"email": f"a{i}@x.com"} for i in range(5)])
    day1, day2 = "2026-03-02", "2026-03-03"
    sandbox.post("/admin/simulate/send", {"campaign_id": cid, "date": day1})
    sandbox.post(
        "/admin/simulate/activity",
        {"campaign_id": cid, "date": day1, "counts": {"open": 4, "click": 1}},
    )
    sandbox.post(
        "/admin/simulate/activity",
        {"campaign_id": cid, "date": day2, "counts": {"sent": 3, "open": 2, "bounce": 1}},
    )
    sandbox.post("/admin/simulate/reply", {"campaign_id": cid, "email": "a1@x.com", "date": day2})

    total = client.get_campaign_analytics(cid)
    assert (total.sent_count, total.open_count, total.reply_count, total.bounce_count) == (
        8,
        6,
        1,
        1,
    )
    assert total.campaign_lead_stats.total == 5 and total.campaign_lead_stats.stopped == 1
    one_day = client.get_campaign_analytics_by_date(cid, dt.date(2026, 3, 2), "2026-03-02")
    assert (one_day.sent_count, one_day.open_count, one_day.reply_count) == (5, 4, 0)
    other_day = client.get_campaign_analytics_by_date(cid, day2, day2)
    assert (other_day.sent_count, other_day.reply_count) == (3, 1)

    stats = client.get_campaign_statistics(cid, limit=2)
    assert stats.total_stats == 5 and len(stats.data) == 2
    replied = client.get_campaign_statistics(cid, email_status="replied")
    assert [s.lead_email for s in replied.data] == ["a1@x.com"]
    assert client.get_campaign_statistics(cid, sent_time_start_date="2026-03-03").total_stats == 0


def test_agency_clients(sandbox: Sandbox) -> None:
    client = sandbox.client()
    saved = client.save_client("Acme GmbH", "ops@acme.test")
    assert saved["ok"] is True
    clients = client.list_clients()
    assert [(c.id, c.name, c.email) for c in clients] == [
        (saved["clientId"], "Acme GmbH", "ops@acme.test")
    ]


def test_campaign_webhooks_create_update_list_delete(sandbox: Sandbox) -> None:
    client = sandbox.client()
    cid = client.create_campaign("hooks").id
    saved = client.save_campaign_webhook(
        cid, name="replies", webhook_url="http://127.0.0.1:9/h", event_types=["EMAIL_REPLY"]
    )
    hook_id = saved["data"]["id"]
    client.save_campaign_webhook(
        cid,
        webhook_id=hook_id,
        name="replies+cat",
        webhook_url="http://127.0.0.1:9/h",
        event_types=["EMAIL_REPLY", "LEAD_CATEGORY_UPDATED"],
        categories=["Interested"],
    )
    hooks = client.list_campaign_webhooks(cid)
    assert [(h.id, h.name, h.event_types, h.categories) for h in hooks] == [
        (hook_id, "replies+cat", ["EMAIL_REPLY", "LEAD_CATEGORY_UPDATED"], ["Interested"])
    ]
    client.delete_campaign_webhook(cid, hook_id)
    assert sandbox.state.campaigns[cid].webhooks == {}
    with pytest.raises(NotFound):
        client.delete_campaign_webhook(cid, hook_id)
