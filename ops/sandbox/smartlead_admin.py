"""Admin routes of the Smartlead sandbox (no api_key; under ``/admin``): keys, campaigns,
mailboxes, block lists, faults, stats, reset. Simulated activity and webhook delivery are in
``smartlead_simulate``; campaign cloning's admin seed in ``smartlead_campaigns``.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request

from ops.sandbox import smartlead_mailboxes
from ops.sandbox.smartlead_leads import lead_view
from ops.sandbox.smartlead_state import (
    ApiFailure,
    CampaignState,
    KeyState,
    PathFault,
    SandboxState,
    joi,
)

router = APIRouter(prefix="/admin")


def _state(request: Request) -> SandboxState:
    return request.app.state.sandbox  # type: ignore[no-any-return]


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    data = json.loads(raw) if raw.strip() else {}
    if not isinstance(data, dict):
        raise joi("admin body must be an object")
    return data


def _key(state: SandboxState, api_key: Any) -> KeyState:
    key = state.keys.get(str(api_key or ""))
    if key is None:
        raise ApiFailure(404, {"error": "unknown api_key (POST /admin/keys first)"})
    return key


def _campaign(state: SandboxState, campaign_id: Any) -> tuple[CampaignState, KeyState]:
    camp = state.campaigns.get(int(campaign_id or 0))
    if camp is None:
        raise ApiFailure(404, {"error": f"no campaign {campaign_id}"})
    return camp, state.keys[camp.api_key]


@router.post("/keys")
async def add_key(request: Request) -> Any:
    body = await _json(request)
    if not body.get("api_key"):
        raise joi('"api_key" is required')
    key = _state(request).add_key(
        body["api_key"],
        body.get("limits"),
        body.get("max_leads_per_request"),
        body.get("webhook_secret"),
        body.get("seed"),
    )
    return {
        "key_hash": key.hash,
        "limits": [list(w) for w in key.limiter.windows],
        "max_leads_per_request": key.max_leads_per_request,
    }


@router.post("/campaigns")
async def add_campaign(request: Request) -> Any:
    body = await _json(request)
    state = _state(request)
    with state.lock:
        camp = state.create_campaign(
            _key(state, body.get("api_key")),
            body.get("name"),
            body.get("client_id"),
            body.get("status") or "DRAFTED",
        )
    return {"id": camp.id}


@router.get("/campaigns/{campaign_id}")
async def campaign_detail(request: Request, campaign_id: int) -> Any:
    state = _state(request)
    with state.lock:
        camp, _ = _campaign(state, campaign_id)
        return {
            **camp.as_campaign(),
            "deleted": camp.deleted,
            "schedule": camp.schedule,
            "settings": camp.settings,
            "sequences": camp.sequences,
            "mailbox_ids": camp.mailbox_ids,
            "webhooks": list(camp.webhooks.values()),
            "activity": {d: dict(c) for d, c in camp.activity.items()},
        }


@router.delete("/campaigns/{campaign_id}")
async def delete_campaign(request: Request, campaign_id: int) -> Any:
    state = _state(request)
    with state.lock:
        camp, _ = _campaign(state, campaign_id)
        camp.deleted = True
    return {"ok": True}


@router.get("/campaigns/{campaign_id}/leads")
async def campaign_leads(request: Request, campaign_id: int) -> Any:
    state = _state(request)
    with state.lock:
        camp, key = _campaign(state, campaign_id)
        leads = [{**lead_view(key, email), **m} for email, m in camp.leads.items()]
        return {"leads": leads, "upload_counts": dict(camp.upload_counts)}


@router.get("/blocklist")
async def blocklist(request: Request) -> Any:
    state = _state(request)
    with state.lock:
        return {"entries": list(_key(state, request.query_params.get("api_key")).block_list)}


@router.post("/mailboxes")
async def add_mailbox(request: Request) -> Any:
    """One mailbox (fields: ops.sandbox.smartlead_mailboxes.new_mailbox)."""
    body = await _json(request)
    state = _state(request)
    return {"id": smartlead_mailboxes.add_mailbox(state, _key(state, body.get("api_key")), body)}


@router.post("/faults")
async def set_faults(request: Request) -> Any:
    body = await _json(request)
    state = _state(request)
    with state.lock:
        key = _key(state, body.get("api_key"))
        f = key.faults
        if "error_rate" in body:
            f.error_rate = float(body["error_rate"] or 0)
        if body.get("error_statuses"):
            f.error_statuses = tuple(int(s) for s in body["error_statuses"])
        if "latency_ms" in body:
            f.latency_ms = float(body["latency_ms"] or 0)
        if "storm_seconds" in body:
            seconds = float(body["storm_seconds"] or 0)
            f.storm_until = state.clock() + seconds if seconds > 0 else 0.0
        if "unauthorized" in body:
            f.unauthorized = bool(body["unauthorized"])
        if body.get("seed") is not None:
            f.rng.seed(body["seed"])
        if "path_faults" in body:
            f.path_faults = [_path_fault(p) for p in body["path_faults"] or []]
        return {
            "error_rate": f.error_rate,
            "error_statuses": list(f.error_statuses),
            "latency_ms": f.latency_ms,
            "storm_remaining": max(0.0, f.storm_until - state.clock()),
            "unauthorized": f.unauthorized,
            "path_faults": [
                {"method": p.method, "path": p.path, "status": p.status, "hits": p.hits}
                for p in f.path_faults
            ],
        }


def _path_fault(spec: Any) -> PathFault:
    """``{method, path, status?: 504, delay_ms?: 0, times?: 1, apply?: true}``."""
    if not isinstance(spec, dict) or not spec.get("method") or not spec.get("path"):
        raise joi('"path_faults[]" needs "method" and "path"')
    return PathFault(
        method=str(spec["method"]).upper(),
        path=str(spec["path"]),
        status=int(spec.get("status", 504)),
        delay_ms=float(spec.get("delay_ms", 0)),
        times=int(spec.get("times", 1)),
        apply=bool(spec.get("apply", True)),
    )


@router.get("/stats")
async def stats(request: Request) -> Any:
    return _state(request).stats()


@router.post("/reset")
async def reset(request: Request) -> Any:
    _state(request).reset()
    return {"ok": True}
