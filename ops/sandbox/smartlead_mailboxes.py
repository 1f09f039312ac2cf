"""Fake Smartlead mailboxes (``/email-accounts``), answering as the real service does
(smartlead-api.md, "Mailboxes"), plus the admin routes that seed them and change their state
between mornings.

API (under ``/api/v1``, key and limits checked by the middleware):
- ``GET /email-accounts/?offset&limit[&client_id]``: a bare array, oldest first; ``limit`` over
  100 refused (Joi 400); ``client_id`` keeps one agency client's mailboxes.
- ``GET /email-accounts/{id}/warmup-stats``: 7 days, totals as strings (see ``warmup_stats``).
- ``POST /email-accounts/{id}`` ``{max_email_per_day?, custom_tracking_url?, bcc?, signature?,
  client_id?, time_to_wait_in_mins?}``: ``max_email_per_day`` sets the campaign sending limit
  (``message_per_day``); warm-up is untouched. Unknown fields: 400 ``"x" is not allowed``.

A mailbox is ``{id, created_at, from_name, from_email, username, type, smtp_host, imap_host,
client_id, message_per_day, daily_sent_count, is_smtp_success, is_imap_success, is_suspended,
tags, warmup_details}`` with ``warmup_details`` ``null`` (warm-up never set up) or ``{status,
warmup_reputation: "97%", total_sent_count, total_spam_count, is_warmup_blocked,
max_email_per_day}``.

Admin (no api_key): ``POST /admin/mailboxes`` (one, in smartlead_admin), ``POST
/admin/mailboxes/batch {api_key, mailboxes: [{email, ...}]}`` -> ``{ids}``, ``POST
/admin/mailboxes/{id} {reputation?, warmup?: false, warmup_status?, is_warmup_blocked?,
is_smtp_success?, is_imap_success?, daily_sent_count?, message_per_day?, is_suspended?, ...}``
-> the mailbox as listed, ``GET /admin/mailboxes?api_key=`` -> ``{mailboxes: [...]}``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request

from ops.sandbox.smartlead_api import _body, _ctx, _page, _unknown
from ops.sandbox.smartlead_state import ApiFailure, KeyState, SandboxState, joi, now_iso

router = APIRouter()
admin_router = APIRouter(prefix="/admin")

UPDATE_FIELDS = (
    "max_email_per_day",
    "custom_tracking_url",
    "bcc",
    "signature",
    "client_id",
    "time_to_wait_in_mins",
)
WARMUP_PER_DAY = 20  # warm-up emails a day when the mailbox does not say
# Admin fields that live inside warmup_details (the name in the admin body -> the field).
WARMUP_FIELDS = {
    "reputation": "warmup_reputation",
    "warmup_status": "status",
    "is_warmup_blocked": "is_warmup_blocked",
    "total_sent_count": "total_sent_count",
    "total_spam_count": "total_spam_count",
    "warmup_per_day": "max_email_per_day",
}
TOP_FIELDS = (
    "from_name",
    "client_id",
    "message_per_day",
    "daily_sent_count",
    "is_smtp_success",
    "is_imap_success",
    "is_suspended",
    "tags",
)


def _warmup(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": body.get("warmup_status", "ACTIVE"),
        "warmup_reputation": body.get("reputation", "100%"),
        "total_sent_count": body.get("total_sent_count", 0),
        "total_spam_count": body.get("total_spam_count", 0),
        "is_warmup_blocked": bool(body.get("is_warmup_blocked", False)),
        "max_email_per_day": body.get("warmup_per_day", WARMUP_PER_DAY),
    }


def new_mailbox(box_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """A mailbox record as ``GET /email-accounts/`` lists it. ``warmup: false`` = never set up
    (``warmup_details: null``); ``reputation`` may be ``"97%"``, ``"0%"``, ``""`` or ``null``."""
    email = body.get("email")
    if not email:
        raise joi('"email" is required')
    return {
        "id": box_id,
        "created_at": now_iso(),
        "from_name": body.get("from_name", "Sender"),
        "from_email": email,
        "username": email,
        "type": "SMTP",
        "smtp_host": "smtp.sandbox.test",
        "imap_host": "imap.sandbox.test",
        "client_id": body.get("client_id"),
        "message_per_day": body.get("message_per_day", 40),
        "daily_sent_count": body.get("daily_sent_count", 0),
        "is_smtp_success": body.get("is_smtp_success", True),
        "is_imap_success": body.get("is_imap_success", True),
        "is_suspended": bool(body.get("is_suspended", False)),
        "tags": list(body.get("tags") or []),
        "warmup_details": _warmup(body) if body.get("warmup", True) else None,
    }


def change_mailbox(box: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """Apply an admin change (the state of the next morning) to a stored mailbox."""
    if "warmup" in body:
        box["warmup_details"] = _warmup(body) if body["warmup"] else None
    for name in TOP_FIELDS:
        if name in body:
            box[name] = body[name]
    touched = {k: v for k, v in WARMUP_FIELDS.items() if k in body}
    if touched and box.get("warmup_details") is None and body.get("warmup", True):
        box["warmup_details"] = _warmup({})
    for name, inner in touched.items():
        if box.get("warmup_details") is not None:
            box["warmup_details"][inner] = body[name]
    return box


def _find(key: KeyState, box_id: int) -> dict[str, Any]:
    box = key.mailboxes.get(int(box_id))
    if box is None:
        raise ApiFailure(404, {"error": "Email account not found"})
    return box


def _reputation(value: Any) -> float | None:
    text = str(value if value is not None else "").strip().rstrip("%")
    try:
        return float(text) if text else None
    except ValueError:
        return None


def warmup_stats(box: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """7 days of warm-up, consistent with the mailbox: none without active warm-up; otherwise
    ``max_email_per_day`` a day, spam at the share ``total_spam_count / total_sent_count`` when
    those are set, else ``100 - reputation`` percent (a reputation is an inbox rate)."""
    w = box.get("warmup_details") or {}
    active = bool(w) and str(w.get("status") or "").upper() == "ACTIVE"
    per_day = int(w.get("max_email_per_day") or WARMUP_PER_DAY) if active else 0
    total_sent = int(w.get("total_sent_count") or 0)
    total_spam = int(w.get("total_spam_count") or 0)
    rep = _reputation(w.get("warmup_reputation"))
    if total_sent > 0:
        share = total_spam / total_sent
    else:
        share = (100.0 - rep) / 100.0 if rep is not None else 0.0
    days = []
    for back in range(6, -1, -1):
        spam = round(per_day * share)
        days.append(
            {
                "date": (today - dt.timedelta(days=back)).isoformat(),
                "sent_count": per_day,
                "reply_count": per_day // 4,
                "save_from_spam_count": spam,
            }
        )
    sent = per_day * 7
    spam = sum(d["save_from_spam_count"] for d in days)
    return {
        "id": box["id"],
        "sent_count": str(sent),
        "spam_count": str(spam),
        "inbox_count": str(sent - spam),
        "warmup_email_received_count": str(sent),
        "stats_by_date": days,
    }


# ---- API ------------------------------------------------------------------------------------
@router.get("/email-accounts/")
@router.get("/email-accounts")
async def list_mailboxes(request: Request) -> Any:
    state, key = _ctx(request)
    offset, limit = _page(request)
    raw_client = request.query_params.get("client_id")
    client_id: int | None = None
    if raw_client not in (None, "", "null"):
        try:
            client_id = int(str(raw_client))
        except ValueError:
            raise joi('"client_id" must be a number') from None
    with state.lock:
        boxes = sorted(key.mailboxes.values(), key=lambda m: m["id"])
        if client_id is not None:
            boxes = [b for b in boxes if b.get("client_id") == client_id]
        return boxes[offset : offset + limit]


@router.get("/email-accounts/{email_account_id}/warmup-stats")
async def mailbox_warmup_stats(request: Request, email_account_id: int) -> Any:
    state, key = _ctx(request)
    with state.lock:
        return warmup_stats(_find(key, email_account_id), dt.datetime.now(dt.UTC).date())


@router.post("/email-accounts/{email_account_id}")
async def update_mailbox(request: Request, email_account_id: int) -> Any:
    state, key = _ctx(request)
    body = await _body(request)
    _unknown(body, UPDATE_FIELDS)
    if "max_email_per_day" in body:
        value = body["max_email_per_day"]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise joi('"max_email_per_day" must be a number greater than or equal to 0')
    with state.lock:
        box = _find(key, email_account_id)
        if "max_email_per_day" in body:
            box["message_per_day"] = body["max_email_per_day"]
        if "client_id" in body:
            box["client_id"] = body["client_id"]
    return {"ok": True, "message": "Email account updated successfully"}


# ---- admin ----------------------------------------------------------------------------------
def _state(request: Request) -> SandboxState:
    return request.app.state.sandbox  # type: ignore[no-any-return]


def _key(state: SandboxState, api_key: Any) -> KeyState:
    key = state.keys.get(str(api_key or ""))
    if key is None:
        raise ApiFailure(404, {"error": "unknown api_key (POST /admin/keys first)"})
    return key


def add_mailbox(state: SandboxState, key: KeyState, body: dict[str, Any]) -> int:
    with state.lock:
        box_id = state.next_id("mailbox", start=2000)
        key.mailboxes[box_id] = new_mailbox(box_id, body)
        return box_id


@admin_router.post("/mailboxes/batch")
async def add_mailboxes(request: Request) -> Any:
    body = await _body(request)
    state = _state(request)
    key = _key(state, body.get("api_key"))
    items = body.get("mailboxes")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise joi('"mailboxes" must be an array of objects')
    return {"ids": [add_mailbox(state, key, item) for item in items]}


@admin_router.post("/mailboxes/{box_id}")
async def change(request: Request, box_id: int) -> Any:
    body = await _body(request)
    state = _state(request)
    with state.lock:
        for key in state.keys.values():
            if box_id in key.mailboxes:
                return change_mailbox(key.mailboxes[box_id], body)
    raise ApiFailure(404, {"error": f"no mailbox {box_id}"})


@admin_router.get("/mailboxes")
async def mailboxes(request: Request) -> Any:
    state = _state(request)
    with state.lock:
        key = _key(state, request.query_params.get("api_key"))
        return {"mailboxes": sorted(key.mailboxes.values(), key=lambda m: m["id"])}
