"""The sandbox refuses what Smartlead refuses when a campaign is cloned (read-form values sent
back, a step without "id", a null client id, a schedule missing a field, sequence edits on an
ACTIVE campaign), deletes and duplicates campaigns, and injects ghost writes on one path."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.sandbox.conftest import KEY, Sandbox
from workers.clients.errors import PermanentError, TransientError

pytestmark = pytest.mark.integration

STEP = {
    "id": None,
    "seq_number": 1,
    "seq_delay_details": {"delay_in_days": 0},
    "subject": "Hi",
    "email_body": "Hello",
}
SCHEDULE = {
    "timezone": "Europe/Paris",
    "days_of_the_week": [1, 2, 3],
    "start_hour": "09:00",
    "end_hour": "17:00",
    "min_time_btw_emails": 10,
    "max_new_leads_per_day": 20,
}


def _post(sandbox: Sandbox, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{sandbox.api}{path}", params={"api_key": KEY}, json=body)


def test_a_read_form_tracking_value_and_a_null_client_id_are_refused(sandbox: Sandbox) -> None:
    cid = sandbox.client().create_campaign("c").id
    resp = _post(sandbox, f"/campaigns/{cid}/settings", {"track_settings": ["DONT_EMAIL_OPEN"]})
    assert resp.status_code == 400 and '"track_settings[0]" must be one of' in resp.json()["error"]
    resp = _post(sandbox, f"/campaigns/{cid}/settings", {"client_id": None})
    assert resp.status_code == 400 and resp.json() == {"error": '"client_id" must be a number'}
    assert sandbox.state.campaigns[cid].settings["track_settings"] == []
    # the write names are accepted and read back in read form
    ok = _post(sandbox, f"/campaigns/{cid}/settings", {"track_settings": ["DONT_TRACK_LINK_CLICK"]})
    assert ok.status_code == 200
    campaign = sandbox.client().get_campaign(cid)
    assert campaign is not None and campaign.track_settings == ["DONT_LINK_CLICK"]


def test_a_step_without_id_and_read_form_variants_are_refused(sandbox: Sandbox) -> None:
    cid = sandbox.client().create_campaign("c").id
    no_id = {k: v for k, v in STEP.items() if k != "id"}
    resp = _post(sandbox, f"/campaigns/{cid}/sequences", {"sequences": [no_id]})
    assert resp.status_code == 400 and resp.json() == {"error": '"sequences[0].id" is required'}
    variant = {"variant_label": "A", "subject": "s", "email_body": "b"}

    def with_variant(**extra: Any) -> httpx.Response:
        step = {**STEP, "seq_variants": [{**variant, **extra}]}
        return _post(sandbox, f"/campaigns/{cid}/sequences", {"sequences": [step]})

    assert with_variant(is_deleted=False).json() == {
        "error": '"sequences[0].seq_variants[0].is_deleted" is not allowed'
    }
    assert with_variant(variant_distribution_percentage="None").json() == {
        "error": '"sequences[0].seq_variants[0].variant_distribution_percentage" must be a number'
    }
    assert sandbox.state.campaigns[cid].sequences == []
    # the client always sends "id" (null for a new step): accepted, variants read back with ids
    sandbox.client().save_sequences(cid, [{**STEP, "seq_variants": [variant]}])
    [step] = sandbox.client().get_sequences(cid)
    assert step.seq_variants is not None and step.seq_variants[0]["is_deleted"] is False
    assert step.seq_variants[0]["id"] is not None


def test_sequences_of_an_active_campaign_cannot_be_edited(sandbox: Sandbox) -> None:
    client = sandbox.client()
    cid = client.create_campaign("live").id
    client.set_campaign_status(cid, "START")
    with pytest.raises(PermanentError, match="ACTIVE campaign cannot be edited"):
        client.save_sequences(cid, [STEP])
    client.set_campaign_status(cid, "PAUSED")
    client.save_sequences(cid, [STEP])
    assert len(sandbox.state.campaigns[cid].sequences) == 1


@pytest.mark.parametrize("missing", sorted(SCHEDULE))
def test_a_schedule_missing_any_of_its_six_fields_is_refused(sandbox: Sandbox, missing) -> None:
    cid = sandbox.client().create_campaign("c").id
    body = {k: v for k, v in SCHEDULE.items() if k != missing}
    resp = _post(sandbox, f"/campaigns/{cid}/schedule", body)
    assert resp.status_code == 400 and resp.json() == {"error": f'"{missing}" is required'}
    assert sandbox.state.campaigns[cid].schedule == {}


def test_a_deleted_campaign_answers_an_empty_body(sandbox: Sandbox) -> None:
    client = sandbox.client()
    cid = client.create_campaign("short-lived").id
    assert client.delete_campaign(cid) == {"ok": True}
    raw = httpx.get(f"{sandbox.api}/campaigns/{cid}", params={"api_key": KEY})
    assert raw.status_code == 200 and raw.content == b""
    assert client.get_campaign(cid) is None and client.find_campaigns_by_name("short-lived") == []


def test_the_duplicate_endpoint_copies_within_the_key_but_not_webhooks(sandbox: Sandbox) -> None:
    client = sandbox.client()
    src = client.create_campaign("Template", client_id=9).id
    client.save_schedule(src, SCHEDULE)
    client.save_sequences(src, [STEP])
    client.save_campaign_webhook(
        src, name="h", webhook_url="https://x.test", event_types=["EMAIL_REPLY"]
    )
    copy_id = client.duplicate_campaign(src).new_campaign_id
    copy = sandbox.state.campaigns[copy_id]
    assert copy.parent_campaign_id == src and copy.client_id == 9
    assert copy.schedule == SCHEDULE and [s["subject"] for s in copy.sequences] == ["Hi"]
    assert copy.webhooks == {} and copy.status == "DRAFTED"
    [listed] = [c for c in client.list_campaigns() if c.id == copy_id]
    assert listed.parent_campaign_id == src


def test_a_ghost_write_applies_the_create_then_answers_504(sandbox: Sandbox) -> None:
    sandbox.post(
        "/admin/faults",
        {"api_key": KEY, "path_faults": [{"method": "POST", "path": "/campaigns/create"}]},
    )
    client = sandbox.client()
    with pytest.raises(TransientError) as info:
        client.create_campaign("ghost")
    assert info.value.status_code == 504
    [found] = client.find_campaigns_by_name("ghost")  # the write happened
    assert client.create_campaign("second").id != found.id  # once only (times: 1)


def test_a_refusal_fault_applies_nothing_on_its_path_only(sandbox: Sandbox) -> None:
    client = sandbox.client()
    cid = client.create_campaign("c").id
    box = sandbox.post("/admin/mailboxes", {"api_key": KEY, "email": "a@b.test"})["id"]
    path = "/campaigns/*/email-accounts"
    fault = {"method": "POST", "path": path, "status": 400, "apply": False, "times": 0}
    answer = sandbox.post("/admin/faults", {"api_key": KEY, "path_faults": [fault]})
    assert answer["path_faults"] == [{"method": "POST", "path": path, "status": 400, "hits": 0}]
    for _ in range(2):
        with pytest.raises(PermanentError):
            client.add_campaign_mailboxes(cid, [box])
    assert sandbox.state.campaigns[cid].mailbox_ids == []
    client.save_schedule(cid, SCHEDULE)  # other paths unaffected
    sandbox.post("/admin/faults", {"api_key": KEY, "path_faults": []})
    client.add_campaign_mailboxes(cid, [box])
    assert sandbox.state.campaigns[cid].mailbox_ids == [box]
