"""The fake Smartlead API v1: shared request helpers, campaign and mailbox routes (paths,
methods and answer shapes of smartlead-api.md; leads in smartlead_leads, reports and
webhooks in smartlead_reports, the key's mailbox listing in smartlead_mailboxes).

The middleware in ``ops.sandbox.smartlead`` has already checked the key, the rate limits and the
faults; handlers find the key in ``request.state.key`` and the state in ``app.state.sandbox``.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request, Response

from ops.sandbox.smartlead_state import KeyState, SandboxState, joi, now_iso
from ops.sandbox.smartlead_writes import check_settings, check_step, stored_variants

router = APIRouter()
CAMPAIGN_SETTINGS = (
    "track_settings",
    "stop_lead_settings",
    "unsubscribe_text",
    "send_as_plain_text",
    "follow_up_percentage",
    "client_id",
    "enable_ai_esp_matching",
    "force_plain_text",
    "auto_pause_domain_leads_on_reply",
    "ignore_ss_mailbox_sending_limit",
    "bounce_autopause_threshold",
    "out_of_office_detection_settings",
)
SCHEDULE_REQUIRED = (
    "timezone",
    "days_of_the_week",
    "start_hour",
    "end_hour",
    "min_time_btw_emails",
    "max_new_leads_per_day",
)
STATUS_COMMANDS = {"START": "ACTIVE", "PAUSED": "PAUSED", "STOPPED": "STOPPED"}
PAGE_MAX = 100


def _ctx(request: Request) -> tuple[SandboxState, KeyState]:
    return request.app.state.sandbox, request.state.key


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        import json

        data = json.loads(raw)
    except ValueError:
        raise joi("Unexpected token in JSON") from None
    if not isinstance(data, dict):
        raise joi('"value" must be of type object')
    return data


def _page(request: Request) -> tuple[int, int]:
    q = request.query_params
    try:
        offset = int(q.get("offset", 0))
        limit = int(q.get("limit", PAGE_MAX))
    except ValueError:
        raise joi('"offset" and "limit" must be a number') from None
    if limit > PAGE_MAX:
        raise joi(f'"limit" must be less than or equal to {PAGE_MAX}')
    if limit < 1 or offset < 0:
        raise joi('"limit" must be greater than or equal to 1')
    return offset, limit


def _unknown(body: dict[str, Any], allowed: tuple[str, ...], prefix: str = "") -> None:
    for name in body:
        if name not in allowed:
            raise joi(f'"{prefix}{name}" is not allowed')


# ---- campaigns ----------------------------------------------------------------------------
@router.get("/campaigns/")
@router.get("/campaigns")
async def list_campaigns(request: Request) -> Any:
    state, key = _ctx(request)
    client_id = request.query_params.get("client_id")
    with state.lock:
        return [
            c.as_campaign()
            for c in state.campaigns.values()
            if c.api_key == key.api_key
            and not c.deleted
            and (client_id is None or str(c.client_id) == client_id)
        ]


@router.get("/campaigns/{campaign_id}")
async def get_campaign(request: Request, campaign_id: int) -> Any:
    state, key = _ctx(request)
    with state.lock:
        camp = state.campaigns.get(campaign_id)
        if camp is None or camp.deleted or camp.api_key != key.api_key:
            return Response(status_code=200, content=b"")  # the real API: 200, empty body
        return camp.as_campaign()


@router.post("/campaigns/create")
async def create_campaign(request: Request) -> Any:
    state, key = _ctx(request)
    body = await _body(request)
    _unknown(body, ("name", "client_id"))
    camp = state.create_campaign(key, body.get("name"), body.get("client_id"))
    return {"ok": True, "id": camp.id, "name": camp.name, "created_at": camp.created_at}


@router.post("/campaigns/{campaign_id}/status")
async def set_status(request: Request, campaign_id: int) -> Any:
    state, key = _ctx(request)
    body = await _body(request)
    status = body.get("status")
    if status not in STATUS_COMMANDS:
        raise joi("Allowed values are - START,STOPPED,PAUSED")
    with state.lock:
        camp = state.campaign_of(key, campaign_id)
        if camp.status == "STOPPED":
            raise joi("Campaign is stopped and can not be started or paused again")
        camp.status = STATUS_COMMANDS[status]
        camp.writes.append({"call": "status", "body": dict(body), "at": now_iso()})
    return {"ok": True}


@router.post("/campaigns/{campaign_id}/schedule")
async def save_schedule(request: Request, campaign_id: int) -> Any:
    state, key = _ctx(request)
    body = await _body(request)
    # Required fields first: a nested {"schedule": {...}} body is refused for its missing
    # "timezone", as the real backend does.
    for name in SCHEDULE_REQUIRED:
        if body.get(name) is None:
            raise joi(f'"{name}" is required')
    _unknown(body, (*SCHEDULE_REQUIRED, "schedule_start_time"))
    days = body["days_of_the_week"]
    if not isinstance(days, list) or not days:
        raise joi('"days_of_the_week" must be an array of weekdays 0..6')
    for i, d in enumerate(days):
        if not isinstance(d, int) or isinstance(d, bool):
            raise joi(f'"days_of_the_week[{i}]" must be a number')
        if not 0 <= d <= 6:
            bound = "less than or equal to 6" if d > 6 else "greater than or equal to 0"
            raise joi(f'"days_of_the_week[{i}]" must be {bound}')
    for name in ("start_hour", "end_hour"):
        if not re.fullmatch(r"\d{1,2}:\d{2}", str(body[name])):
            raise joi(f'"{name}" with value "{body[name]}" fails to match the required pattern')
    gap = body["min_time_btw_emails"]
    if not isinstance(gap, int) or isinstance(gap, bool) or gap < 3:
        raise joi('"min_time_btw_emails" must be greater than or equal to 3')
    with state.lock:
        camp = state.campaign_of(key, campaign_id)
        camp.schedule = dict(body)
        camp.writes.append({"call": "schedule", "body": dict(body), "at": now_iso()})
    return {"ok": True}


@router.post("/campaigns/{campaign_id}/settings")
async def update_settings(request: Request, campaign_id: int) -> Any:
    state, key = _ctx(request)
    body = await _body(request)
    _unknown(body, CAMPAIGN_SETTINGS)
    check_settings(body)
    with state.lock:
        camp = state.campaign_of(key, campaign_id)
        for name, value in body.items():
            if name == "client_id":
                camp.client_id = value
            else:
                camp.settings[name] = value
    return {"ok": True}


@router.get("/campaigns/{campaign_id}/sequences")
async def get_sequences(request: Request, campaign_id: int) -> Any:
    state, key = _ctx(request)
    with state.lock:
        camp = state.campaign_of(key, campaign_id)
        return [
            {
                **{k: v for k, v in s.items() if k not in ("delay_in_days", "raw_delay")},
                "seq_delay_details": s.get("raw_delay") or {"delayInDays": s["delay_in_days"]},
            }
            for s in camp.sequences
        ]


@router.post("/campaigns/{campaign_id}/sequences")
async def save_sequences(request: Request, campaign_id: int) -> Any:
    state, key = _ctx(request)
    body = await _body(request)
    _unknown(body, ("sequences",))
    steps = body.get("sequences")
    if not isinstance(steps, list):
        raise joi('"sequences" is required')
    stored = []
    for i, step in enumerate(steps):
        if not isinstance(step, dict):
            raise joi(f'"sequences[{i}]" must be of type object')
        _unknown(
            step,
            ("id", "seq_number", "seq_delay_details", "subject", "email_body", "seq_variants"),
            f"sequences[{i}].",
        )
        delay = step.get("seq_delay_details")
        if not isinstance(delay, dict):
            raise joi(f'"sequences[{i}].seq_delay_details" is required')
        _unknown(delay, ("delay_in_days",), f"sequences[{i}].seq_delay_details.")
        if not isinstance(step.get("seq_number"), int):
            raise joi(f'"sequences[{i}].seq_number" is required')
        check_step(step, i)
        stored.append(
            {
                "id": step.get("id") or state.next_id("sequence"),
                "created_at": now_iso(),
                "updated_at": now_iso(),
                "email_campaign_id": campaign_id,
                "seq_number": step["seq_number"],
                "subject": step.get("subject", ""),
                "email_body": step.get("email_body", ""),
                "sequence_variants": stored_variants(state, step.get("seq_variants")),
                "delay_in_days": int(delay.get("delay_in_days") or 0),
            }
        )
    with state.lock:
        camp = state.campaign_of(key, campaign_id)
        if camp.status == "ACTIVE":
            raise joi("Sequences of an ACTIVE campaign cannot be edited: pause it first")
        known = {s["id"] for s in camp.sequences}
        for i, step in enumerate(steps):
            if step["id"] is not None and step["id"] not in known:
                raise joi(f'"sequences[{i}].id" {step["id"]} is not a step of this campaign')
        camp.sequences = stored
    return {"ok": True, "data": "success"}


# ---- mailboxes ----------------------------------------------------------------------------
@router.get("/campaigns/{campaign_id}/email-accounts")
async def campaign_mailboxes(request: Request, campaign_id: int) -> Any:
    state, key = _ctx(request)
    with state.lock:
        camp = state.campaign_of(key, campaign_id)
        return [key.mailboxes[i] for i in camp.mailbox_ids if i in key.mailboxes]


def _mailbox_ids(body: dict[str, Any], key: KeyState) -> list[int]:
    _unknown(body, ("email_account_ids",))
    ids = body.get("email_account_ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, int) for i in ids):
        raise joi('"email_account_ids" must be an array of numbers')
    missing = [i for i in ids if i not in key.mailboxes]
    if missing:
        raise joi(f"Email accounts not found: {missing}")
    return ids


@router.post("/campaigns/{campaign_id}/email-accounts")
async def add_campaign_mailboxes(request: Request, campaign_id: int) -> Any:
    state, key = _ctx(request)
    body = await _body(request)
    with state.lock:
        camp = state.campaign_of(key, campaign_id)
        ids = _mailbox_ids(body, key)
        camp.mailbox_ids.extend(i for i in ids if i not in camp.mailbox_ids)
        return {
            "ok": True,
            "result": [{"email_campaign_id": campaign_id, "email_account_id": i} for i in ids],
        }


@router.delete("/campaigns/{campaign_id}/email-accounts")
async def remove_campaign_mailboxes(request: Request, campaign_id: int) -> Any:
    state, key = _ctx(request)
    body = await _body(request)
    with state.lock:
        camp = state.campaign_of(key, campaign_id)
        ids = _mailbox_ids(body, key)
        camp.mailbox_ids = [i for i in camp.mailbox_ids if i not in ids]
    return {"ok": True}
