"""Smartlead client without sockets (httpx.MockTransport): answer quirks, paging, body shapes."""

from __future__ import annotations

import json

import httpx
import pytest

from workers.clients.errors import PermanentError
from workers.clients.smartlead import SmartleadClient
from workers.clients.smartlead_models import (
    AddLeadsResult,
    CampaignAnalytics,
    EmailAccount,
    SequenceStep,
)

KEY = "sl-unit-key-0123456789"


def client_for(handler) -> SmartleadClient:
    return SmartleadClient(
        KEY, base_url="http://sl.test/api/v1", timeout=2, transport=httpx.MockTransport(handler)
    )


def test_counts_as_strings_and_camel_case_stats_parse_to_ints() -> None:
    a = CampaignAnalytics.model_validate(
        {
            "sent_count": "12",
            "reply_count": "3",
            "unique_open_count": None,
            "campaign_lead_stats": {"total": "40", "notStarted": "10", "interested": "2"},
        }
    )
    assert (a.sent_count, a.reply_count, a.unique_open_count) == (12, 3, 0)
    assert a.campaign_lead_stats.not_started == 10 and a.campaign_lead_stats.total == 40


def test_reputation_string_becomes_a_number() -> None:
    box = EmailAccount.model_validate(
        {"id": 1, "warmup_details": {"warmup_reputation": "97%"}, "daily_sent_count": "4"}
    )
    assert box.reputation == 97.0 and box.daily_sent_count == 4
    assert EmailAccount.model_validate({"id": 2}).reputation is None


def test_sequence_reads_camel_case_and_writes_snake_case() -> None:
    step = SequenceStep.model_validate(
        {
            "id": 5,
            "seq_number": 2,
            "seq_delay_details": {"delayInDays": 3},
            "subject": "s",
            "email_body": "b",
        }
    )
    assert step.seq_delay_details.delay_in_days == 3
    assert step.to_body()["seq_delay_details"] == {"delay_in_days": 3}


def test_unsubscribed_leads_array_is_counted_and_kept() -> None:
    r = AddLeadsResult.from_answer(
        {"ok": True, "upload_count": "2", "unsubscribed_leads": ["a@x.com"]}
    )
    assert r.upload_count == 2 and r.unsubscribed_leads == 1
    assert r.unsubscribed_emails == ["a@x.com"]


def test_ok_false_inside_a_200_is_a_permanent_error() -> None:
    client = client_for(lambda r: httpx.Response(200, json={"ok": False, "error": "nope"}))
    with pytest.raises(PermanentError, match="nope") as info:
        client.create_campaign("x")
    assert KEY not in str(info.value)


def test_empty_200_body_means_deleted_campaign() -> None:
    client = client_for(lambda r: httpx.Response(200, content=b""))
    assert client.get_campaign(7) is None


def test_plain_text_success_is_accepted() -> None:
    client = client_for(
        lambda r: httpx.Response(200, text="success", headers={"content-type": "text/plain"})
    )
    assert client.update_settings(1, {"unsubscribe_text": "bye"}) == {"ok": True}


def test_list_email_accounts_reads_pages_of_100_until_a_short_page() -> None:
    offsets: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        offsets.append((request.url.params["offset"], request.url.params["limit"]))
        n = 100 if offset < 200 else 7
        return httpx.Response(200, json=[{"id": offset + i} for i in range(n)])

    boxes = client_for(handler).list_email_accounts()
    assert len(boxes) == 207 and boxes[-1].id == 206
    assert offsets == [("0", "100"), ("100", "100"), ("200", "100")]


def test_add_leads_refuses_more_than_the_cap_and_unknown_settings_before_sending() -> None:
    sent = []
    client = client_for(lambda r: sent.append(r) or httpx.Response(200, json={}))
    with pytest.raises(ValueError, match="at most 100"):
        client.add_leads(1, [{"email": f"l{i}@x.com"} for i in range(101)])
    with pytest.raises(ValueError, match="unknown"):
        client.add_leads(1, [{"email": "a@x.com"}], settings={"foo": True})
    assert sent == []


def test_status_is_posted_and_schedule_is_flat() -> None:
    seen: list[tuple[str, str, dict]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path, json.loads(request.content)))
        return httpx.Response(200, json={"ok": True})

    client = client_for(handler)
    client.set_campaign_status(3, "PAUSED")
    client.save_schedule(
        3,
        {
            "timezone": "Europe/Berlin",
            "days_of_the_week": [1, 2],
            "start_hour": "09:00",
            "end_hour": "17:00",
            "min_time_btw_emails": 10,
            "max_new_leads_per_day": 20,
        },
    )
    assert seen[0] == ("POST", "/api/v1/campaigns/3/status", {"status": "PAUSED"})
    assert seen[1][1] == "/api/v1/campaigns/3/schedule"
    assert seen[1][2]["timezone"] == "Europe/Berlin" and "schedule_start_time" not in seen[1][2]
    with pytest.raises(ValueError):
        client.set_campaign_status(3, "ACTIVE")


def test_repr_has_no_key() -> None:
    client = client_for(lambda r: httpx.Response(200))
    assert KEY not in repr(client)
