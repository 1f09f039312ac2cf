"""Sandbox admin routes for the reply guard and send days (issue 13), under ``/admin``.

- ``POST /admin/campaigns/{id}/person/status`` ``{status: ACTIVE | PAUSED | ...}``: a person
  changes the campaign's status in the dashboard (e.g. resumes what LeadOps paused). Not an
  API call: it is logged as ``person:status``, never counted with the API's status calls.
- ``POST /admin/campaigns/{id}/person/schedule`` ``{timezone, days_of_the_week, start_hour,
  end_hour, min_time_btw_emails, max_new_leads_per_day}`` (write names, stored as given, no
  validation): a schedule as an old campaign may hold it (``start_hour: "9"``, Sunday as 7, a
  gap of 2), which the API's read side then shows; ``{}`` removes the schedule.
- ``GET /admin/campaigns/{id}/writes[?call=status|schedule]`` -> ``{writes: [{call, body, at}],
  counts: {status: n, schedule: n, ...}}``: the status and schedule calls the API applied.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from fastapi import APIRouter, Request

from ops.sandbox.smartlead_state import ApiFailure, CampaignState, SandboxState, joi, now_iso

router = APIRouter(prefix="/admin")
PERSON_STATUSES = ("DRAFTED", "ACTIVE", "PAUSED", "STOPPED", "COMPLETED")


def _campaign(request: Request, campaign_id: int) -> tuple[SandboxState, CampaignState]:
    state: SandboxState = request.app.state.sandbox
    camp = state.campaigns.get(campaign_id)
    if camp is None:
        raise ApiFailure(404, {"error": f"no campaign {campaign_id}"})
    return state, camp


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    data = json.loads(raw) if raw.strip() else {}
    if not isinstance(data, dict):
        raise joi("admin body must be an object")
    return data


@router.post("/campaigns/{campaign_id}/person/status")
async def person_status(request: Request, campaign_id: int) -> Any:
    body = await _json(request)
    status = str(body.get("status") or "")
    if status not in PERSON_STATUSES:
        raise joi(f'"status" must be one of {", ".join(PERSON_STATUSES)}')
    state, camp = _campaign(request, campaign_id)
    with state.lock:
        camp.status = status
        camp.writes.append({"call": "person:status", "body": {"status": status}, "at": now_iso()})
        return {"id": camp.id, "status": camp.status}


@router.post("/campaigns/{campaign_id}/person/schedule")
async def person_schedule(request: Request, campaign_id: int) -> Any:
    body = await _json(request)
    state, camp = _campaign(request, campaign_id)
    with state.lock:
        camp.schedule = dict(body)
        camp.writes.append({"call": "person:schedule", "body": dict(body), "at": now_iso()})
        return {"id": camp.id, "scheduler_cron_value": camp.as_campaign()["scheduler_cron_value"]}


@router.get("/campaigns/{campaign_id}/writes")
async def writes(request: Request, campaign_id: int) -> Any:
    call = request.query_params.get("call")
    state, camp = _campaign(request, campaign_id)
    with state.lock:
        rows = [dict(w) for w in camp.writes if call is None or w["call"] == call]
        counts = Counter(str(w["call"]) for w in camp.writes)
        return {"writes": rows, "counts": dict(counts)}
