"""Fake Smartlead API v1: add leads (with the real answer counts), leads of a campaign, lead by
email, the domain block list."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ops.sandbox.smartlead_api import _body, _ctx, _page, _unknown
from ops.sandbox.smartlead_state import (
    EMAIL_RE,
    LEAD_FIELDS,
    CampaignState,
    KeyState,
    SandboxState,
    joi,
    now_iso,
)

router = APIRouter()
LEAD_SETTINGS = (
    "ignore_global_block_list",
    "ignore_unsubscribe_list",
    "ignore_duplicate_leads_in_other_campaign",
    "ignore_community_bounce_list",
)


# ---- leads --------------------------------------------------------------------------------
@router.post("/campaigns/{campaign_id}/leads")
async def add_leads(request: Request, campaign_id: int) -> Any:
    state, key = _ctx(request)
    body = await _body(request)
    _unknown(body, ("lead_list", "settings"))
    leads = body.get("lead_list")
    if not isinstance(leads, list):
        raise joi('"lead_list" is required')
    if len(leads) > key.max_leads_per_request:
        raise joi(
            f'"lead_list" must contain less than or equal to {key.max_leads_per_request} items'
        )
    settings = body.get("settings") or {}
    if not isinstance(settings, dict):
        raise joi('"settings" must be of type object')
    _unknown(settings, LEAD_SETTINGS, "settings.")
    for name, value in settings.items():
        if not isinstance(value, bool):
            raise joi(f'"settings.{name}" must be a boolean')
    for i, lead in enumerate(leads):
        if not isinstance(lead, dict) or "email" not in lead:
            raise joi(f'"lead_list[{i}].email" is required')
        _unknown(lead, ("email", *LEAD_FIELDS), f"lead_list[{i}].")
    with state.lock:
        camp = state.campaign_of(key, campaign_id)
        return _add_leads(state, key, camp, leads, settings)


def _add_leads(
    state: SandboxState,
    key: KeyState,
    camp: CampaignState,
    leads: list[dict[str, Any]],
    settings: dict[str, Any],
) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "ok": True,
        "upload_count": 0,
        "total_leads": len(leads),
        "block_count": 0,
        "duplicate_count": 0,
        "invalid_email_count": 0,
        "invalid_emails": [],
        "already_added_to_campaign": 0,
        "unsubscribed_leads": [],
        "is_lead_limit_exhausted": False,
        "lead_import_stopped_count": 0,
        "bounce_count": 0,
    }
    seen: set[str] = set()
    for lead in leads:
        email = str(lead.get("email") or "").strip().lower()
        if not EMAIL_RE.match(email):
            answer["invalid_email_count"] += 1
            answer["invalid_emails"].append(lead.get("email"))
            continue
        if email in seen:
            answer["duplicate_count"] += 1
            continue
        seen.add(email)
        camp.upload_counts[email] += 1
        if email in camp.leads:
            answer["already_added_to_campaign"] += 1
            continue
        if key.is_blocked(email) and not settings.get("ignore_global_block_list"):
            answer["block_count"] += 1
            continue
        if email in key.unsubscribed and not settings.get("ignore_unsubscribe_list"):
            answer["unsubscribed_leads"].append(email)
            continue
        in_other = any(
            email in c.leads
            for c in state.campaigns.values()
            if c.api_key == key.api_key and c.id != camp.id and not c.deleted
        )
        if in_other and not settings.get("ignore_duplicate_leads_in_other_campaign"):
            answer["duplicate_count"] += 1
            continue
        record = key.leads.get(email)
        if record is None:
            record = key.leads[email] = {"id": state.next_id("lead", start=5000), "email": email}
        record.update({k: lead[k] for k in LEAD_FIELDS if lead.get(k) is not None})
        camp.leads[email] = {
            "campaign_lead_map_id": state.next_id("lead_map", start=90000),
            "lead_id": record["id"],
            "status": "STARTED",
            "lead_category_id": None,
            "created_at": now_iso(),
        }
        answer["upload_count"] += 1
    return answer


def lead_view(key: KeyState, email: str) -> dict[str, Any]:
    record = key.leads[email]
    out = {
        "id": record["id"],
        "email": email,
        "custom_fields": {},
        "is_unsubscribed": email in key.unsubscribed,
    }
    out.update({k: record.get(k) for k in LEAD_FIELDS if k != "custom_fields"})
    out["custom_fields"] = record.get("custom_fields") or {}
    return out


@router.get("/campaigns/{campaign_id}/leads")
async def campaign_leads(request: Request, campaign_id: int) -> Any:
    state, key = _ctx(request)
    offset, limit = _page(request)
    with state.lock:
        camp = state.campaign_of(key, campaign_id)
        maps = list(camp.leads.items())
        data = [
            {
                "campaign_lead_map_id": m["campaign_lead_map_id"],
                "lead_category_id": m["lead_category_id"],
                "status": m["status"],
                "created_at": m["created_at"],
                "lead": lead_view(key, email),
            }
            for email, m in maps[offset : offset + limit]
        ]
        return {"total_leads": str(len(maps)), "offset": offset, "limit": limit, "data": data}


@router.get("/leads/")
@router.get("/leads")
async def lead_by_email(request: Request) -> Any:
    state, key = _ctx(request)
    email = (request.query_params.get("email") or "").strip().lower()
    if not email:
        raise joi('"email" is required')
    with state.lock:
        if email not in key.leads:
            return {}
        out = lead_view(key, email)
        out["lead_campaign_data"] = [
            {
                "campaign_id": c.id,
                "campaign_name": c.name,
                "campaign_lead_map_id": c.leads[email]["campaign_lead_map_id"],
                "lead_category_id": c.leads[email]["lead_category_id"],
                "lead_status": c.leads[email]["status"],
            }
            for c in state.campaigns.values()
            if c.api_key == key.api_key and not c.deleted and email in c.leads
        ]
        return out


@router.post("/leads/add-domain-block-list")
async def add_block_list(request: Request) -> Any:
    state, key = _ctx(request)
    body = await _body(request)
    _unknown(body, ("domain_block_list", "client_id"))
    entries = body.get("domain_block_list")
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        raise joi('"domain_block_list" must be an array of strings')
    added = 0
    with state.lock:
        for entry in (e.strip().lower() for e in entries):
            if entry and entry not in key.block_list:
                key.block_list.append(entry)
                added += 1
        for camp in state.campaigns.values():  # existing leads of the key become BLOCKED
            if camp.api_key == key.api_key:
                for email, m in camp.leads.items():
                    if key.is_blocked(email):
                        m["status"] = "BLOCKED"
    return {"ok": True, "upload_count": added, "message": "Domain block list updated"}
