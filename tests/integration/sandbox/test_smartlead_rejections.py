"""The sandbox refuses exactly what Smartlead refuses, and the client maps each refusal to the
right error class with the server's own message."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.sandbox.conftest import KEY, Sandbox
from workers.clients.errors import NotFound, PermanentError, Unauthorized

pytestmark = pytest.mark.integration


def _campaign(sandbox: Sandbox) -> int:
    return sandbox.post("/admin/campaigns", {"api_key": KEY, "name": "c"})["id"]


def test_patch_status_is_an_html_404_and_post_works(sandbox: Sandbox) -> None:
    cid = _campaign(sandbox)
    url = f"{sandbox.api}/campaigns/{cid}/status"
    resp = httpx.patch(url, params={"api_key": KEY}, json={"status": "PAUSED"})
    assert resp.status_code == 404
    assert resp.headers["content-type"].startswith("text/html")
    assert f"<pre>Cannot PATCH /api/v1/campaigns/{cid}/status</pre>" in resp.text
    assert KEY not in resp.text
    assert sandbox.state.campaigns[cid].status == "DRAFTED"
    ok = httpx.post(url, params={"api_key": KEY}, json={"status": "PAUSED"})
    assert ok.status_code == 200 and sandbox.state.campaigns[cid].status == "PAUSED"


def test_block_list_path_does_not_exist(sandbox: Sandbox) -> None:
    resp = httpx.post(
        f"{sandbox.api}/block_list", params={"api_key": KEY}, json={"domain_block_list": ["x.com"]}
    )
    assert resp.status_code == 404 and "Cannot POST /api/v1/block_list" in resp.text
    assert sandbox.state.keys[KEY].block_list == []


def test_a_wrong_path_maps_to_not_found_with_the_express_text(sandbox: Sandbox) -> None:
    client = sandbox.client()
    with pytest.raises(NotFound) as info:
        client._call("POST", "/block_list", json={})
    assert info.value.message.endswith("404: Cannot POST /api/v1/block_list")


def test_101_leads_are_refused_and_nothing_is_stored(sandbox: Sandbox) -> None:
    cid = _campaign(sandbox)
    body = {"lead_list": [{"email": f"l{i}@x.com"} for i in range(101)]}
    resp = httpx.post(f"{sandbox.api}/campaigns/{cid}/leads", params={"api_key": KEY}, json=body)
    assert resp.status_code == 400
    assert resp.json() == {"error": '"lead_list" must contain less than or equal to 100 items'}
    assert sandbox.state.campaigns[cid].leads == {}
    ok = httpx.post(
        f"{sandbox.api}/campaigns/{cid}/leads",
        params={"api_key": KEY},
        json={"lead_list": body["lead_list"][:100]},
    )
    assert ok.json()["upload_count"] == 100


def test_per_key_lead_cap_is_configurable_and_the_client_reports_the_message(
    sandbox: Sandbox,
) -> None:
    sandbox.post("/admin/keys", {"api_key": KEY, "max_leads_per_request": 2})
    cid = _campaign(sandbox)
    client = sandbox.client()
    with pytest.raises(PermanentError, match="less than or equal to 2 items") as info:
        client.add_leads(cid, [{"email": f"l{i}@x.com"} for i in range(3)])
    assert info.value.status_code == 400 and type(info.value) is PermanentError


def test_limit_over_100_is_refused_on_every_paged_endpoint(sandbox: Sandbox) -> None:
    cid = _campaign(sandbox)
    for path in (f"/campaigns/{cid}/leads", "/email-accounts/", f"/campaigns/{cid}/statistics"):
        resp = httpx.get(sandbox.api + path, params={"api_key": KEY, "limit": 101})
        assert resp.status_code == 400, path
        assert resp.json() == {"error": '"limit" must be less than or equal to 100'}
        assert (
            httpx.get(sandbox.api + path, params={"api_key": KEY, "limit": 100}).status_code == 200
        )


def test_unknown_settings_key_is_refused(sandbox: Sandbox) -> None:
    cid = _campaign(sandbox)
    resp = httpx.post(
        f"{sandbox.api}/campaigns/{cid}/leads",
        params={"api_key": KEY},
        json={"lead_list": [{"email": "a@x.com"}], "settings": {"foo": True}},
    )
    assert resp.status_code == 400 and resp.json() == {"error": '"settings.foo" is not allowed'}
    assert sandbox.state.campaigns[cid].leads == {}
    with pytest.raises(PermanentError, match='"update" is not allowed'):
        sandbox.client().update_settings(cid, {"update": True})


def test_bad_key_is_401_invalid_api_key_and_maps_to_unauthorized(sandbox: Sandbox) -> None:
    bad = "sl-not-a-registered-key-999"
    resp = httpx.get(f"{sandbox.api}/campaigns/", params={"api_key": bad})
    assert resp.status_code == 401 and resp.json() == {"message": "Invalid API Key"}
    assert httpx.get(f"{sandbox.api}/campaigns/").status_code == 401
    with pytest.raises(Unauthorized, match="Invalid API Key") as info:
        sandbox.client(bad).list_campaigns()
    assert bad not in str(info.value) and bad not in repr(info.value)
    assert sum(sandbox.get("/admin/stats")["unknown_keys"].values()) == 3


def test_schedule_needs_all_six_fields(sandbox: Sandbox) -> None:
    cid = _campaign(sandbox)
    resp = httpx.post(
        f"{sandbox.api}/campaigns/{cid}/schedule",
        params={"api_key": KEY},
        json={"timezone": "UTC", "days_of_the_week": [1]},
    )
    assert resp.status_code == 400 and resp.json() == {"error": '"start_hour" is required'}
    assert sandbox.state.campaigns[cid].schedule == {}


def test_writing_camel_case_delay_is_refused(sandbox: Sandbox) -> None:
    cid = _campaign(sandbox)
    resp = httpx.post(
        f"{sandbox.api}/campaigns/{cid}/sequences",
        params={"api_key": KEY},
        json={"sequences": [{"seq_number": 1, "seq_delay_details": {"delayInDays": 1}}]},
    )
    assert resp.status_code == 400
    assert "delayInDays" in resp.json()["error"] and "not allowed" in resp.json()["error"]
