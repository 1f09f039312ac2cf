"""Admin routes of the Smartlead sandbox (no api_key; under ``/admin``) and webhook delivery.

Simulated events change the state the way Smartlead would (lead stopped after a reply, day
counters, statistics rows) and really POST the payload shapes of smartlead-api.md to every
campaign webhook registered for the event, with ``secret_key`` in the body.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

import httpx
from fastapi import APIRouter, Request

from ops.sandbox import smartlead_mailboxes
from ops.sandbox.smartlead_leads import lead_view
from ops.sandbox.smartlead_state import (
    CATEGORIES,
    ApiFailure,
    CampaignState,
    KeyState,
    SandboxState,
    joi,
    now_iso,
    today,
)

router = APIRouter(prefix="/admin")
DELIVERY_TIMEOUT = 5.0


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


def _lead_map(camp: CampaignState, email: Any) -> tuple[str, dict[str, Any]]:
    email = str(email or "").strip().lower()
    if email not in camp.leads:
        raise ApiFailure(404, {"error": f"lead not in campaign {camp.id}"})
    return email, camp.leads[email]


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
        return {
            "error_rate": f.error_rate,
            "error_statuses": list(f.error_statuses),
            "latency_ms": f.latency_ms,
            "storm_remaining": max(0.0, f.storm_until - state.clock()),
            "unauthorized": f.unauthorized,
        }


@router.get("/stats")
async def stats(request: Request) -> Any:
    return _state(request).stats()


@router.get("/deliveries")
async def deliveries(request: Request) -> Any:
    state = _state(request)
    with state.lock:
        return {"deliveries": list(state.deliveries)}


@router.post("/reset")
async def reset(request: Request) -> Any:
    _state(request).reset()
    return {"ok": True}


# ---- simulated activity -------------------------------------------------------------------
def _day(body: dict[str, Any]) -> str:
    return dt.date.fromisoformat(body["date"]).isoformat() if body.get("date") else today()


def _sender(camp: CampaignState, key: KeyState) -> str:
    for box_id in camp.mailbox_ids:
        if box_id in key.mailboxes:
            return str(key.mailboxes[box_id]["from_email"])
    return "sender@sandbox.test"


def _stat_row(camp: CampaignState, key: KeyState, email: str) -> dict[str, Any]:
    for row in reversed(camp.stats):
        if row["lead_email"] == email:
            return row
    lead = key.leads[email]
    step = camp.sequences[0] if camp.sequences else {}
    row = {
        "lead_email": email,
        "lead_name": " ".join(filter(None, [lead.get("first_name"), lead.get("last_name")])),
        "sequence_number": step.get("seq_number", 1),
        "email_subject": step.get("subject", "Hello"),
        "sent_time": now_iso(),
        "open_time": None,
        "click_time": None,
        "reply_time": None,
        "is_unsubscribed": False,
        "is_bounced": False,
        "message_id": f"<{camp.id}.{lead['id']}@sandbox.test>",
    }
    camp.stats.append(row)
    return row


@router.post("/simulate/send")
async def simulate_send(request: Request) -> Any:
    """Mark leads as sent one step (default: every STARTED lead); counts on ``date``."""
    body = await _json(request)
    state = _state(request)
    with state.lock:
        camp, key = _campaign(state, body.get("campaign_id"))
        day = _day(body)
        emails = [
            e.lower()
            for e in body.get("emails")
            or [e for e, m in camp.leads.items() if m["status"] == "STARTED"]
        ]
        for email in emails:
            _, m = _lead_map(camp, email)
            row = _stat_row(camp, key, email)
            row["sent_time"] = f"{day}T10:00:00.000Z"
            m["status"] = "INPROGRESS"
            camp.count(day, "sent")
            camp.count(day, "unique_sent")
        return {"sent": len(emails)}


@router.post("/simulate/activity")
async def simulate_activity(request: Request) -> Any:
    """Add raw day counters: ``{campaign_id, date, counts: {sent: 3, open: 1, reply: 1}}``."""
    body = await _json(request)
    state = _state(request)
    with state.lock:
        camp, _ = _campaign(state, body.get("campaign_id"))
        day = _day(body)
        for name, n in (body.get("counts") or {}).items():
            camp.count(day, str(name), int(n))
        return {"date": day, "counts": dict(camp.activity.get(day, {}))}


@router.post("/simulate/reply")
async def simulate_reply(request: Request) -> Any:
    body = await _json(request)
    state = _state(request)
    with state.lock:
        camp, key = _campaign(state, body.get("campaign_id"))
        email, m = _lead_map(camp, body.get("email"))
        day, stamp = _day(body), now_iso()
        row = _stat_row(camp, key, email)
        row["reply_time"] = stamp
        if camp.settings.get("stop_lead_settings") == "REPLY_TO_AN_EMAIL":
            m["status"] = "STOPPED"
        camp.count(day, "reply")
        lead = key.leads[email]
        text = body.get("text") or "Thanks, tell me more."
        payload = {
            "event_type": "EMAIL_REPLY",
            "event_timestamp": stamp,
            "sl_email_lead_id": lead["id"],
            "sl_email_lead_map_id": m["campaign_lead_map_id"],
            "sl_lead_email": email,
            "from_email": _sender(camp, key),
            "to_email": email,
            "to_name": lead.get("first_name") or "",
            "subject": f"Re: {row['email_subject']}",
            "campaign_id": camp.id,
            "campaign_name": camp.name,
            "campaign_status": camp.status,
            "sequence_number": row["sequence_number"],
            "client_id": camp.client_id,
            "sent_message": {
                "message_id": row["message_id"],
                "html": "<p>Hello</p>",
                "text": "Hello",
                "time": row["sent_time"],
            },
            "reply_message": {
                "message_id": f"<reply.{m['campaign_lead_map_id']}@lead.test>",
                "html": f"<p>{text}</p>",
                "text": text,
                "time": stamp,
            },
            "app_url": f"https://app.smartlead.ai/app/master-inbox?leadMap={m['campaign_lead_map_id']}",
            "reply_body": text,
            "preview_text": text[:100],
            "time_replied": stamp,
        }
    return await _deliver(state, camp, key, "EMAIL_REPLY", payload, body)


@router.post("/simulate/category")
async def simulate_category(request: Request) -> Any:
    body = await _json(request)
    state = _state(request)
    names = {v.lower(): k for k, v in CATEGORIES.items()}
    new_id = names.get(str(body.get("category") or "").lower())
    if new_id is None:
        raise joi(f"unknown category; one of {list(CATEGORIES.values())}")
    with state.lock:
        camp, key = _campaign(state, body.get("campaign_id"))
        email, m = _lead_map(camp, body.get("email"))
        old_id = m["lead_category_id"]
        m["lead_category_id"] = new_id
        lead = key.leads[email]
        row = _stat_row(camp, key, email)
        payload: dict[str, Any] = {
            "event_type": "LEAD_CATEGORY_UPDATED",
            "event_timestamp": now_iso(),
            "lead_id": lead["id"],
            "campaign_id": camp.id,
            "campaign_name": camp.name,
            "client_id": camp.client_id,
            "to_email": email,
            "to_name": lead.get("first_name") or "",
            "from_email": _sender(camp, key),
            "lead_category": {
                "old_id": old_id,
                "old_name": CATEGORIES.get(old_id or 0),
                "new_id": new_id,
                "new_name": CATEGORIES[new_id],
            },
            "lead_data": lead_view(key, email),
            "history": [],
            "last_reply": {
                "message_id": f"<reply.{m['campaign_lead_map_id']}@lead.test>",
                "time": row["reply_time"],
                "text": body.get("text") or "",
            },
        }
        if body.get("legacy_fields"):
            payload.update(
                {"lead_email": email, "lead_category_id": new_id, "category": CATEGORIES[new_id]}
            )
    return await _deliver(
        state, camp, key, "LEAD_CATEGORY_UPDATED", payload, body, category=CATEGORIES[new_id]
    )


@router.post("/simulate/unsubscribe")
async def simulate_unsubscribe(request: Request) -> Any:
    body = await _json(request)
    state = _state(request)
    with state.lock:
        camp, key = _campaign(state, body.get("campaign_id"))
        email, m = _lead_map(camp, body.get("email"))
        key.unsubscribed.add(email)
        m["status"] = "STOPPED"
        _stat_row(camp, key, email)["is_unsubscribed"] = True
        camp.count(_day(body), "unsubscribed")
        payload = {
            "event_type": "LEAD_UNSUBSCRIBED",
            "event_timestamp": now_iso(),
            "lead_email": email,
            "sl_lead_email": email,
            "sl_email_lead_id": key.leads[email]["id"],
            "sl_email_lead_map_id": m["campaign_lead_map_id"],
            "campaign_id": camp.id,
            "campaign_name": camp.name,
            "client_id": camp.client_id,
            "from_email": _sender(camp, key),
            "to_email": email,
        }
    return await _deliver(state, camp, key, "LEAD_UNSUBSCRIBED", payload, body)


async def _deliver(
    state: SandboxState,
    camp: CampaignState,
    key: KeyState,
    event: str,
    payload: dict[str, Any],
    options: dict[str, Any],
    category: str | None = None,
) -> dict[str, Any]:
    """POST the payload to each matching webhook (``repeat`` times, like Smartlead's retries);
    ``sign: true`` adds ``X-Smartlead-Signature: sha256=<HMAC>`` with the key's secret."""
    with state.lock:
        hooks = [
            h
            for h in camp.webhooks.values()
            if event in h["event_types"]
            and (category is None or not h["categories"] or category in h["categories"])
        ]
    results = []
    sent: dict[str, Any] = {**payload, "secret_key": key.webhook_secret}
    async with httpx.AsyncClient(timeout=DELIVERY_TIMEOUT, trust_env=False) as client:
        for hook in hooks:
            sent = {
                **payload,
                "webhook_id": hook["id"],
                "webhook_name": hook["name"],
                "secret_key": key.webhook_secret,
            }
            raw = json.dumps(sent).encode()
            headers = {"Content-Type": "application/json", "User-Agent": "Smartlead-Sandbox"}
            if options.get("sign"):
                digest = hmac.new(key.webhook_secret.encode(), raw, hashlib.sha256).hexdigest()
                headers["X-Smartlead-Signature"] = f"sha256={digest}"
            for attempt in range(1, max(1, int(options.get("repeat") or 1)) + 1):
                record: dict[str, Any] = {
                    "webhook_id": hook["id"],
                    "url": hook["webhook_url"],
                    "event_type": event,
                    "attempt": attempt,
                    "status_code": None,
                    "error": None,
                }
                try:
                    resp = await client.post(hook["webhook_url"], content=raw, headers=headers)
                    record["status_code"] = resp.status_code
                except httpx.HTTPError as exc:
                    record["error"] = type(exc).__name__
                results.append(record)
                with state.lock:
                    state.deliveries.append({**record, "payload": sent})
    return {"event": sent, "deliveries": results}
