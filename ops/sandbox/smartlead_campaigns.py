"""Fake Smartlead API v1: what cloning a campaign needs beyond the campaign routes of
``smartlead_api``: ``DELETE /campaigns/{id}`` (afterwards GET answers 200 with an empty body),
``POST /campaigns/{id}/duplicate`` (documented 2026: settings, sequences, schedule and mailboxes
copied within one key, not leads or webhooks; the copy's name is the sandbox's guess), and an
admin seed, ``POST /admin/campaigns/{id}/raw``, that stores a template the way old campaigns
look when read (``startHour: "9"``, deleted variants, ``"None"`` shares, either delay spelling),
which the write endpoints would refuse.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import APIRouter, FastAPI, Request

from ops.sandbox.smartlead_admin import _campaign, _json, _state
from ops.sandbox.smartlead_api import _body, _ctx, _unknown
from ops.sandbox.smartlead_state import joi, now_iso

api = APIRouter()
admin = APIRouter(prefix="/admin")


def register(app: FastAPI, api_prefix: str) -> None:
    app.include_router(api, prefix=api_prefix)
    app.include_router(admin)


@api.delete("/campaigns/{campaign_id}")
async def delete_campaign(request: Request, campaign_id: int) -> Any:
    state, key = _ctx(request)
    with state.lock:
        state.campaign_of(key, campaign_id).deleted = True
    return {"ok": True}


@api.post("/campaigns/{campaign_id}/duplicate")
async def duplicate_campaign(request: Request, campaign_id: int) -> Any:
    state, key = _ctx(request)
    body = await _body(request)
    _unknown(body, ("duplicate_sub_sequence", "duplicate_client_label"))
    with state.lock:
        src = state.campaign_of(key, campaign_id)
        copy_ = state.create_campaign(key, f"Copy of {src.name}", src.client_id)
        copy_.parent_campaign_id = src.id
        copy_.settings = copy.deepcopy(src.settings)
        copy_.schedule = copy.deepcopy(src.schedule)
        copy_.mailbox_ids = list(src.mailbox_ids)
        copy_.sequences = [
            {
                **copy.deepcopy(step),
                "id": state.next_id("sequence"),
                "email_campaign_id": copy_.id,
                "created_at": now_iso(),
            }
            for step in src.sequences
        ]
    return {"ok": True, "newCampaignId": copy_.id}


def _raw_step(state: Any, step: Any, i: int) -> dict[str, Any]:
    if not isinstance(step, dict) or "seq_number" not in step:
        raise joi(f'"sequences[{i}]" needs "seq_number"')
    delay = step.get("seq_delay_details") or {}
    days = delay.get("delayInDays", delay.get("delay_in_days", 0))
    stored = {
        "id": step.get("id") or state.next_id("sequence"),
        "created_at": now_iso(),
        "updated_at": now_iso(),
        "seq_number": step["seq_number"],
        "subject": step.get("subject", ""),
        "email_body": step.get("email_body", ""),
        "sequence_variants": [
            {"id": v.get("id") or state.next_id("variant", start=5000), **v}
            for v in step.get("sequence_variants") or []
        ]
        or None,
        "delay_in_days": int(days or 0),
    }
    if delay:
        stored["raw_delay"] = dict(delay)  # GET shows exactly this spelling
    return stored


@admin.post("/campaigns/{campaign_id}/raw")
async def seed_campaign(request: Request, campaign_id: int) -> Any:
    """``{settings?, schedule?, sequences? (read form), mailbox_ids?, status?, client_id?}``:
    stored as given (settings in write form; GET shows tracking in read form)."""
    body = await _json(request)
    state = _state(request)
    with state.lock:
        camp, _ = _campaign(state, campaign_id)
        if "settings" in body:
            camp.settings.update(body["settings"] or {})
        if "schedule" in body:
            camp.schedule = dict(body["schedule"] or {})
        if "sequences" in body:
            camp.sequences = [_raw_step(state, s, i) for i, s in enumerate(body["sequences"])]
        if "mailbox_ids" in body:
            camp.mailbox_ids = [int(i) for i in body["mailbox_ids"] or []]
        if "status" in body:
            camp.status = str(body["status"])
        if "client_id" in body:
            camp.client_id = body["client_id"]
        return {"id": camp.id, "sequences": [s["id"] for s in camp.sequences]}
