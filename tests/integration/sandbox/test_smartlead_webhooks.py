"""Simulated replies, categories and unsubscribes really POST Smartlead's payload shapes (with
``secret_key``) to the campaign's registered webhook URL over loopback."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response

from ops.sandbox.serve import serve
from tests.integration.sandbox.conftest import KEY, Sandbox

pytestmark = pytest.mark.integration


class Receiver:
    def __init__(self) -> None:
        self.hits: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        self.app = FastAPI()

        @self.app.post("/hooks/{secret}")
        async def hook(request: Request, secret: str) -> Response:
            self.hits.append((dict(request.headers), await request.body()))
            return Response(status_code=self.status)

    def payloads(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.hits]


@pytest.fixture(scope="module")
def _receiver_server() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver()
    with serve(receiver.app) as base:
        yield receiver, base


@pytest.fixture
def receiver(_receiver_server: tuple[Receiver, str]) -> tuple[Receiver, str]:
    receiver, base = _receiver_server
    receiver.hits.clear()
    receiver.status = 200
    return receiver, base


def _setup(
    sandbox: Sandbox, url: str, events: list[str], categories: list[str] | None = None
) -> int:
    client = sandbox.client()
    cid = client.create_campaign("Webhooks", client_id=5).id
    box = sandbox.post("/admin/mailboxes", {"api_key": KEY, "email": "me@sender.test"})["id"]
    client.add_campaign_mailboxes(cid, [box])
    client.save_sequences(
        cid,
        [
            {
                "seq_number": 1,
                "seq_delay_details": {"delay_in_days": 0},
                "subject": "Quick question",
                "email_body": "Hi",
            }
        ],
    )
    client.add_leads(
        cid,
        [
            {
                "email": "lead@prospect.io",
                "first_name": "Lea",
                "last_name": "Lead",
                "company_name": "Prospect",
            }
        ],
    )
    client.save_campaign_webhook(
        cid, name="gw", webhook_url=url, event_types=events, categories=categories
    )
    return cid


def test_reply_posts_the_email_reply_payload_and_stops_the_lead(sandbox: Sandbox, receiver) -> None:
    rcv, base = receiver
    cid = _setup(sandbox, f"{base}/hooks/s3cr3t", ["EMAIL_REPLY"])
    sandbox.post("/admin/simulate/send", {"campaign_id": cid})
    result = sandbox.post(
        "/admin/simulate/reply",
        {"campaign_id": cid, "email": "lead@prospect.io", "text": "Sounds good, call me"},
    )
    assert [d["status_code"] for d in result["deliveries"]] == [200]
    [payload] = rcv.payloads()
    assert payload == result["event"]
    assert payload["event_type"] == "EMAIL_REPLY" and payload["secret_key"] == "secretkey"
    assert payload["sl_lead_email"] == "lead@prospect.io" == payload["to_email"]
    assert payload["from_email"] == "me@sender.test"
    assert (payload["campaign_id"], payload["campaign_name"], payload["client_id"]) == (
        cid,
        "Webhooks",
        5,
    )
    assert payload["reply_message"]["text"] == "Sounds good, call me"
    assert payload["sent_message"]["message_id"] and payload["sequence_number"] == 1
    assert payload["subject"] == "Re: Quick question"
    assert {
        "sl_email_lead_id",
        "sl_email_lead_map_id",
        "event_timestamp",
        "webhook_id",
        "webhook_name",
        "app_url",
        "reply_body",
        "time_replied",
    } <= payload.keys()
    assert "category" not in payload and "lead_category" not in payload
    stored = sandbox.get(f"/admin/campaigns/{cid}/leads")["leads"][0]
    assert stored["status"] == "STOPPED"


def test_category_update_payload_filters_on_categories(sandbox: Sandbox, receiver) -> None:
    rcv, base = receiver
    cid = _setup(sandbox, f"{base}/hooks/abc", ["LEAD_CATEGORY_UPDATED"], ["Interested"])
    skipped = sandbox.post(
        "/admin/simulate/category",
        {"campaign_id": cid, "email": "lead@prospect.io", "category": "Out Of Office"},
    )
    assert skipped["deliveries"] == [] and rcv.hits == []
    result = sandbox.post(
        "/admin/simulate/category",
        {"campaign_id": cid, "email": "lead@prospect.io", "category": "Interested"},
    )
    assert [d["status_code"] for d in result["deliveries"]] == [200]
    [payload] = rcv.payloads()
    assert payload["event_type"] == "LEAD_CATEGORY_UPDATED"
    assert payload["lead_category"] == {
        "old_id": 6,
        "old_name": "Out Of Office",
        "new_id": 1,
        "new_name": "Interested",
    }
    assert payload["lead_data"]["email"] == "lead@prospect.io"
    assert payload["lead_data"]["company_name"] == "Prospect"
    assert payload["secret_key"] == "secretkey" and payload["campaign_id"] == cid
    lead = sandbox.client().get_lead_by_email("lead@prospect.io")
    assert lead is not None and lead.lead_campaign_data[0].lead_category_id == 1


def test_unsubscribe_posts_and_later_uploads_are_refused(sandbox: Sandbox, receiver) -> None:
    rcv, base = receiver
    cid = _setup(sandbox, f"{base}/hooks/u", ["LEAD_UNSUBSCRIBED"])
    sandbox.post("/admin/keys", {"api_key": KEY, "webhook_secret": "per-key-secret"})
    sandbox.post("/admin/simulate/unsubscribe", {"campaign_id": cid, "email": "lead@prospect.io"})
    [payload] = rcv.payloads()
    assert payload["event_type"] == "LEAD_UNSUBSCRIBED"
    assert payload["lead_email"] == "lead@prospect.io" and payload["campaign_id"] == cid
    assert payload["secret_key"] == "per-key-secret"
    other = sandbox.client().create_campaign("later").id
    result = sandbox.client().add_leads(
        other,
        [{"email": "lead@prospect.io"}],
        settings={"ignore_duplicate_leads_in_other_campaign": True},
    )
    assert result.upload_count == 0 and result.unsubscribed_leads == 1
    assert result.unsubscribed_emails == ["lead@prospect.io"]


def test_repeat_and_signature_and_failed_delivery_status(sandbox: Sandbox, receiver) -> None:
    rcv, base = receiver
    cid = _setup(sandbox, f"{base}/hooks/r", ["EMAIL_REPLY"])
    rcv.status = 503
    result = sandbox.post(
        "/admin/simulate/reply",
        {"campaign_id": cid, "email": "lead@prospect.io", "repeat": 2, "sign": True},
    )
    assert [(d["attempt"], d["status_code"]) for d in result["deliveries"]] == [(1, 503), (2, 503)]
    assert len(rcv.hits) == 2 and rcv.hits[0][1] == rcv.hits[1][1]
    headers, body = rcv.hits[0]
    expected = hmac.new(b"secretkey", body, hashlib.sha256).hexdigest()
    assert headers["x-smartlead-signature"] == f"sha256={expected}"
    assert len(sandbox.get("/admin/deliveries")["deliveries"]) == 2


def test_unreachable_webhook_reports_the_error(sandbox: Sandbox) -> None:
    cid = _setup(sandbox, "http://127.0.0.1:9/hooks/x", ["EMAIL_REPLY"])
    result = sandbox.post(
        "/admin/simulate/reply", {"campaign_id": cid, "email": "lead@prospect.io"}
    )
    [delivery] = result["deliveries"]
    assert delivery["status_code"] is None and delivery["error"] == "ConnectError"
