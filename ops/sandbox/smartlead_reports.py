"""Fake Smartlead API v1: analytics (counts as strings), per-email statistics, agency clients,
campaign webhooks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request

from ops.sandbox.smartlead_api import _body, _ctx, _page, _unknown
from ops.sandbox.smartlead_state import ApiFailure, CampaignState, joi, now_iso

router = APIRouter()


# ---- analytics ----------------------------------------------------------------------------
def _counts(camp: CampaignState, days: list[str] | None) -> dict[str, Any]:
    total: dict[str, int] = {}
    for day, counter in camp.activity.items():
        if days is None or day in days:
            for name, n in counter.items():
                total[name] = total.get(name, 0) + n
    names = (
        "sent",
        "unique_sent",
        "open",
        "unique_open",
        "click",
        "unique_click",
        "reply",
        "bounce",
        "unsubscribed",
        "block",
    )
    out = {f"{n}_count": str(total.get(n, 0)) for n in names}
    out["total_count"] = str(len(camp.leads))
    return out


def _lead_stats(camp: CampaignState) -> dict[str, str]:
    statuses = [m["status"] for m in camp.leads.values()]
    interested = sum(1 for m in camp.leads.values() if m["lead_category_id"] == 1)
    return {
        "total": str(len(statuses)),
        "notStarted": str(statuses.count("STARTED")),
        "inprogress": str(statuses.count("INPROGRESS")),
        "completed": str(statuses.count("COMPLETED")),
        "blocked": str(statuses.count("BLOCKED")),
        "paused": str(statuses.count("PAUSED")),
        "stopped": str(statuses.count("STOPPED")),
        "interested": str(interested),
    }


@router.get("/campaigns/{campaign_id}/analytics")
async def analytics(request: Request, campaign_id: int) -> Any:
    state, key = _ctx(request)
    with state.lock:
        camp = state.campaign_of(key, campaign_id)
        return {
            "id": camp.id,
            "name": camp.name,
            "status": camp.status,
            "created_at": camp.created_at,
            **_counts(camp, None),
            "campaign_lead_stats": _lead_stats(camp),
        }


@router.get("/campaigns/{campaign_id}/analytics-by-date")
async def analytics_by_date(request: Request, campaign_id: int) -> Any:
    state, key = _ctx(request)
    try:
        start = dt.date.fromisoformat(request.query_params["start_date"])
        end = dt.date.fromisoformat(request.query_params["end_date"])
    except (KeyError, ValueError):
        raise joi('"start_date" and "end_date" are required (YYYY-MM-DD)') from None
    if end < start:
        raise joi('"end_date" must be greater than or equal to "start_date"')
    days = [(start + dt.timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]
    with state.lock:
        camp = state.campaign_of(key, campaign_id)
        return {
            "id": camp.id,
            "name": camp.name,
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            **_counts(camp, days),
        }


@router.get("/campaigns/{campaign_id}/statistics")
async def statistics(request: Request, campaign_id: int) -> Any:
    state, key = _ctx(request)
    offset, limit = _page(request)
    q = request.query_params
    start, end, status = (
        q.get("sent_time_start_date"),
        q.get("sent_time_end_date"),
        q.get("email_status"),
    )
    with state.lock:
        rows = state.campaign_of(key, campaign_id).stats
        if start:
            rows = [r for r in rows if (r["sent_time"] or "")[:10] >= start[:10]]
        if end:
            rows = [r for r in rows if (r["sent_time"] or "")[:10] <= end[:10]]
        if status:
            field = {"opened": "open_time", "clicked": "click_time", "replied": "reply_time"}
            if status in field:
                rows = [r for r in rows if r[field[status]]]
            elif status == "bounced":
                rows = [r for r in rows if r["is_bounced"]]
            elif status == "unsubscribed":
                rows = [r for r in rows if r["is_unsubscribed"]]
        return {
            "total_stats": str(len(rows)),
            "offset": offset,
            "limit": limit,
            "data": [dict(r) for r in rows[offset : offset + limit]],
        }


# ---- agency clients -----------------------------------------------------------------------
@router.get("/client/")
@router.get("/client")
async def list_clients(request: Request) -> Any:
    state, key = _ctx(request)
    with state.lock:
        return list(key.clients)


@router.post("/client/save")
async def save_client(request: Request) -> Any:
    state, key = _ctx(request)
    body = await _body(request)
    _unknown(body, ("name", "email", "permission", "logo", "logo_url", "password"))
    if not body.get("name") or not body.get("email"):
        raise joi('"name" and "email" are required')
    with state.lock:
        client = {
            "id": state.next_id("client", start=300),
            "name": body["name"],
            "email": body["email"],
            "uuid": None,
            "created_at": now_iso(),
            "user_id": 1,
            "logo": body.get("logo"),
            "logo_url": body.get("logo_url"),
            "client_permision": {"permission": body.get("permission") or ["full_access"]},
        }
        key.clients.append(client)
    return {"ok": True, "clientId": client["id"], "name": client["name"], "email": client["email"]}


# ---- campaign webhooks --------------------------------------------------------------------
@router.get("/campaigns/{campaign_id}/webhooks")
async def list_webhooks(request: Request, campaign_id: int) -> Any:
    state, key = _ctx(request)
    with state.lock:
        return list(state.campaign_of(key, campaign_id).webhooks.values())


@router.post("/campaigns/{campaign_id}/webhooks")
async def save_webhook(request: Request, campaign_id: int) -> Any:
    state, key = _ctx(request)
    body = await _body(request)
    _unknown(body, ("id", "name", "webhook_url", "event_types", "categories"))
    if not body.get("webhook_url") or not isinstance(body.get("event_types"), list):
        raise joi('"webhook_url" and "event_types" are required')
    with state.lock:
        camp = state.campaign_of(key, campaign_id)
        hook_id = body.get("id") or state.next_id("webhook", start=700)
        if body.get("id") and hook_id not in camp.webhooks:
            raise ApiFailure(404, {"error": "Webhook not found"})
        camp.webhooks[hook_id] = {
            "id": hook_id,
            "name": body.get("name") or "",
            "webhook_url": body["webhook_url"],
            "event_types": list(body["event_types"]),
            "categories": list(body.get("categories") or []),
            "email_campaign_id": campaign_id,
            "created_at": now_iso(),
        }
        return {"ok": True, "data": camp.webhooks[hook_id]}


@router.delete("/campaigns/{campaign_id}/webhooks")
async def delete_webhook(request: Request, campaign_id: int) -> Any:
    state, key = _ctx(request)
    body = await _body(request)
    with state.lock:
        camp = state.campaign_of(key, campaign_id)
        if body.get("id") not in camp.webhooks:
            raise ApiFailure(404, {"error": "Webhook not found"})
        del camp.webhooks[body["id"]]
    return {"ok": True}
