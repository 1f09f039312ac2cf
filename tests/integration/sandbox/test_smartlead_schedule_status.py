"""The sandbox refuses schedule and status writes as Smartlead does (smartlead-api.md,
"Schedule"), stores nothing when it refuses, and logs per campaign the calls it applied; a
person's dashboard changes come through the admin API and are not counted as API calls."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.sandbox.conftest import KEY, Sandbox
from workers.clients.errors import PermanentError

pytestmark = pytest.mark.integration

SIX = {
    "timezone": "America/New_York",
    "days_of_the_week": [1, 2, 3, 4, 5],
    "start_hour": "09:00",
    "end_hour": "17:30",
    "min_time_btw_emails": 12,
    "max_new_leads_per_day": 40,
}


def _campaign(sandbox: Sandbox, status: str = "ACTIVE") -> int:
    return int(
        sandbox.post("/admin/campaigns", {"api_key": KEY, "name": "c", "status": status})["id"]
    )


def _schedule(sandbox: Sandbox, cid: int, body: Any) -> httpx.Response:
    return httpx.post(f"{sandbox.api}/campaigns/{cid}/schedule", params={"api_key": KEY}, json=body)


@pytest.mark.parametrize("missing", list(SIX))
def test_a_schedule_missing_any_of_the_six_fields_is_refused(
    sandbox: Sandbox, missing: str
) -> None:
    cid = _campaign(sandbox)
    resp = _schedule(sandbox, cid, {k: v for k, v in SIX.items() if k != missing})
    assert resp.status_code == 400 and resp.json() == {"error": f'"{missing}" is required'}
    assert sandbox.state.campaigns[cid].schedule == {}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"schedule": SIX}, '"timezone" is required'),
        (
            {**SIX, "min_time_btw_emails": 2},
            '"min_time_btw_emails" must be greater than or equal to 3',
        ),
        (
            {**SIX, "days_of_the_week": [1, 7]},
            '"days_of_the_week[1]" must be less than or equal to 6',
        ),
        (
            {**SIX, "days_of_the_week": [-1]},
            '"days_of_the_week[0]" must be greater than or equal to 0',
        ),
        ({**SIX, "days_of_the_week": []}, '"days_of_the_week" must be an array of weekdays 0..6'),
        (
            {**SIX, "start_hour": "9"},
            '"start_hour" with value "9" fails to match the required pattern',
        ),
        ({**SIX, "days": [1]}, '"days" is not allowed'),
    ],
    ids=["nested", "gap-2", "weekday-7", "weekday-minus-1", "no-days", "hour-9", "read-name"],
)
def test_schedule_bodies_smartlead_refuses(sandbox: Sandbox, body: dict, error: str) -> None:
    cid = _campaign(sandbox)
    resp = _schedule(sandbox, cid, body)
    assert resp.status_code == 400 and resp.json() == {"error": error}
    assert sandbox.state.campaigns[cid].schedule == {}
    assert sandbox.get(f"/admin/campaigns/{cid}/writes")["writes"] == []


def test_statuses_other_than_start_paused_stopped_are_refused(sandbox: Sandbox) -> None:
    cid = _campaign(sandbox)
    for wrong in ("ACTIVE", "paused", "RESUME", None):
        resp = httpx.post(
            f"{sandbox.api}/campaigns/{cid}/status", params={"api_key": KEY}, json={"status": wrong}
        )
        assert resp.status_code == 400
        assert resp.json() == {"error": "Allowed values are - START,STOPPED,PAUSED"}
    assert sandbox.state.campaigns[cid].status == "ACTIVE"
    with pytest.raises(PermanentError, match="Allowed values"):
        sandbox.client()._call("POST", f"/campaigns/{cid}/status", json={"status": "ACTIVE"})


def test_status_and_schedule_calls_are_logged_per_campaign(sandbox: Sandbox) -> None:
    one, two = _campaign(sandbox), _campaign(sandbox)
    client = sandbox.client()
    client.set_campaign_status(one, "PAUSED")
    client.set_campaign_status(one, "START")
    client.save_schedule(two, SIX)
    _schedule(sandbox, two, {**SIX, "min_time_btw_emails": 1})  # refused: not logged

    log_one = sandbox.get(f"/admin/campaigns/{one}/writes")
    assert log_one["counts"] == {"status": 2}
    assert [w["body"] for w in log_one["writes"]] == [{"status": "PAUSED"}, {"status": "START"}]
    log_two = sandbox.get(f"/admin/campaigns/{two}/writes", call="schedule")
    assert [w["body"] for w in log_two["writes"]] == [SIX]


def test_a_person_resumes_and_sets_a_legacy_schedule_through_the_admin_api(
    sandbox: Sandbox,
) -> None:
    cid = _campaign(sandbox, "PAUSED")
    assert (
        sandbox.post(f"/admin/campaigns/{cid}/person/status", {"status": "ACTIVE"})["status"]
        == "ACTIVE"
    )
    legacy = {**SIX, "start_hour": "9", "days_of_the_week": [7, 1]}
    shown = sandbox.post(f"/admin/campaigns/{cid}/person/schedule", legacy)["scheduler_cron_value"]
    assert shown == {"tz": "America/New_York", "days": [7, 1], "startHour": "9", "endHour": "17:30"}

    campaign = sandbox.client().get_campaign(cid)
    assert campaign is not None and campaign.status == "ACTIVE"
    assert (
        campaign.scheduler_cron_value is not None
        and campaign.scheduler_cron_value["startHour"] == "9"
    )
    counts = sandbox.get(f"/admin/campaigns/{cid}/writes")["counts"]
    assert counts == {"person:status": 1, "person:schedule": 1}  # no API status/schedule call
    bad = sandbox.admin.post(f"/admin/campaigns/{cid}/person/status", json={"status": "START"})
    assert bad.status_code == 400
