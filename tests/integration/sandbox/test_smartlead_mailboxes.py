"""The sandbox's mailboxes answer as Smartlead does (smartlead-api.md, "Mailboxes"), through the
real client over loopback: bare array pages, limit > 100 refused, client_id filter, null or
string-percent warm-up, warm-up stats, the sending-limit update, admin state changes."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.sandbox.conftest import KEY, Sandbox
from workers.clients.errors import NotFound, PermanentError

pytestmark = pytest.mark.integration


def _seed(sandbox: Sandbox, mailboxes: list[dict]) -> list[int]:
    return sandbox.post("/admin/mailboxes/batch", {"api_key": KEY, "mailboxes": mailboxes})["ids"]


def test_pages_are_bare_arrays_and_a_limit_over_100_is_refused(sandbox: Sandbox) -> None:
    _seed(sandbox, [{"email": f"b{i}@send.test"} for i in range(120)])
    url = f"{sandbox.api}/email-accounts/"
    page = httpx.get(url, params={"api_key": KEY, "offset": 100, "limit": 100}).json()
    assert isinstance(page, list) and len(page) == 20
    refused = httpx.get(url, params={"api_key": KEY, "limit": 101})
    assert refused.status_code == 400
    assert refused.json() == {"error": '"limit" must be less than or equal to 100'}


def test_client_id_filters_one_agency_client(sandbox: Sandbox) -> None:
    _seed(
        sandbox, [{"email": f"c{i}@send.test", "client_id": 11 if i % 3 else 12} for i in range(9)]
    )
    client = sandbox.client()
    assert {b.client_id for b in client.list_email_accounts(client_id=12)} == {12}
    assert len(client.list_email_accounts(client_id=12)) == 3
    assert len(client.list_email_accounts()) == 9
    bad = httpx.get(f"{sandbox.api}/email-accounts/", params={"api_key": KEY, "client_id": "x"})
    assert bad.status_code == 400


def test_warmup_details_null_or_string_percent_as_the_real_api(sandbox: Sandbox) -> None:
    ids = _seed(
        sandbox,
        [
            {"email": "never@send.test", "warmup": False},
            {"email": "empty@send.test", "reputation": ""},
            {"email": "zero@send.test", "reputation": "0%", "is_warmup_blocked": True},
            {"email": "down@send.test", "is_smtp_success": False, "daily_sent_count": 12},
        ],
    )
    raw = httpx.get(f"{sandbox.api}/email-accounts/", params={"api_key": KEY}).json()
    by_email = {b["from_email"]: b for b in raw}
    assert by_email["never@send.test"]["warmup_details"] is None
    assert by_email["empty@send.test"]["warmup_details"]["warmup_reputation"] == ""
    assert by_email["zero@send.test"]["warmup_details"]["warmup_reputation"] == "0%"
    assert by_email["zero@send.test"]["warmup_details"]["is_warmup_blocked"] is True
    assert by_email["down@send.test"]["is_smtp_success"] is False
    assert {"daily_sent_count", "message_per_day", "is_imap_success"} <= set(raw[0])
    boxes = {b.id: b for b in sandbox.client().list_email_accounts()}
    assert boxes[ids[0]].warmup_details is None and boxes[ids[1]].reputation is None
    assert boxes[ids[2]].reputation == 0.0


def test_warmup_stats_seven_days_with_string_totals(sandbox: Sandbox) -> None:
    ok, spammy, never = _seed(
        sandbox,
        [
            {"email": "ok@send.test", "reputation": "100%"},
            {
                "email": "spam@send.test",
                "reputation": "",
                "total_sent_count": 100,
                "total_spam_count": 25,
            },
            {"email": "never@send.test", "warmup": False},
        ],
    )
    raw = httpx.get(
        f"{sandbox.api}/email-accounts/{spammy}/warmup-stats", params={"api_key": KEY}
    ).json()
    assert raw["sent_count"] == "140" and raw["spam_count"] == "35"
    assert len(raw["stats_by_date"]) == 7 and raw["stats_by_date"][0]["sent_count"] == 20
    client = sandbox.client()
    assert client.get_warmup_stats(ok).spam_count == 0
    assert client.get_warmup_stats(never).sent_count == 0
    with pytest.raises(NotFound):
        client.get_warmup_stats(999999)


def test_update_sets_the_sending_limit_and_keeps_warmup(sandbox: Sandbox) -> None:
    (box,) = _seed(sandbox, [{"email": "u@send.test", "message_per_day": 35}])
    client = sandbox.client()
    assert client.update_email_account(box, {"max_email_per_day": 0})["ok"] is True
    (listed,) = client.list_email_accounts()
    assert listed.message_per_day == 0 and listed.warmup_details.status == "ACTIVE"
    with pytest.raises(PermanentError, match='"foo" is not allowed'):
        client.update_email_account(box, {"foo": 1})
    with pytest.raises(PermanentError, match="greater than or equal to 0"):
        client.update_email_account(box, {"max_email_per_day": -1})
    with pytest.raises(NotFound):
        client.update_email_account(999999, {"max_email_per_day": 0})


def test_admin_changes_a_mailbox_between_mornings(sandbox: Sandbox) -> None:
    (box,) = _seed(sandbox, [{"email": "m@send.test"}])
    changed = sandbox.post(
        f"/admin/mailboxes/{box}", {"reputation": "61%", "is_imap_success": False}
    )
    assert changed["warmup_details"]["warmup_reputation"] == "61%"
    assert changed["is_imap_success"] is False
    assert sandbox.post(f"/admin/mailboxes/{box}", {"warmup": False})["warmup_details"] is None
    back = sandbox.post(f"/admin/mailboxes/{box}", {"reputation": "90%"})
    assert back["warmup_details"]["warmup_reputation"] == "90%"  # warm-up set up again
    assert sandbox.get("/admin/mailboxes", api_key=KEY)["mailboxes"][0]["id"] == box
    assert sandbox.admin.post("/admin/mailboxes/1", json={}).status_code == 404
