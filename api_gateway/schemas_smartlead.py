"""Smartlead webhook payloads (../shared/smartlead-api.md): tolerant of extra fields, strict on
what the automations need (the lead's email, and the new category of a category update)."""

from __future__ import annotations

import re
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from api_gateway.http import invalid

ProcessedEventType = Literal["EMAIL_REPLY", "LEAD_CATEGORY_UPDATED", "LEAD_UNSUBSCRIBED"]
RecordedEventType = Literal[
    "EMAIL_SENT",
    "FIRST_EMAIL_SENT",
    "EMAIL_OPEN",
    "EMAIL_LINK_CLICK",
    "EMAIL_BOUNCE",
    "CAMPAIGN_STATUS_CHANGED",
    "UNTRACKED_REPLIES",
    "MANUAL_STEP_REACHED",
]
EventType = Literal[ProcessedEventType, RecordedEventType]
PROCESSED_EVENTS: tuple[str, ...] = get_args(ProcessedEventType)
RECORDED_EVENTS: tuple[str, ...] = get_args(RecordedEventType)
KNOWN_EVENTS: frozenset[str] = frozenset(PROCESSED_EVENTS + RECORDED_EVENTS)
# Recorded under this name in the daily counters, so an unbounded set of names cannot grow them.
UNKNOWN_EVENT = "UNKNOWN"
PREVIEW_MAX = 1000
Id = str | int | None
_TAGS = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class Message(_Loose):
    message_id: str | None = None
    html: str | None = None
    text: str | None = None
    time: str | None = None


class LeadCategory(_Loose):
    old_id: Id = None
    old_name: str | None = None
    new_id: Id = None
    new_name: str | None = None


class LeadData(_Loose):
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None


class SmartleadEvent(_Loose):
    """Any Smartlead webhook. ``secret_key`` is read for authentication and never forwarded."""

    # Any string: an event type Smartlead adds later must not be refused (a 4xx makes Smartlead
    # retry it for ever); the route records it and does nothing (see KNOWN_EVENTS).
    event_type: str = Field(min_length=1, max_length=100)
    event_timestamp: str | None = None
    secret_key: str | None = Field(None, description="The account's Smartlead webhook secret.")
    webhook_id: Id = None
    campaign_id: Id = None
    campaign_name: str | None = None
    client_id: Id = None
    sl_email_lead_id: Id = None
    sl_email_lead_map_id: Id = None
    sl_lead_email: str | None = None
    lead_id: Id = None
    lead_email: str | None = None
    from_email: str | None = None
    to_email: str | None = None
    to_name: str | None = None
    subject: str | None = None
    sequence_number: Id = None
    stats_id: Id = None
    sent_message: Message | None = None
    reply_message: Message | None = None
    reply_body: str | None = None
    preview_text: str | None = None
    time_replied: str | None = None
    lead_category: LeadCategory | None = None
    category: str | dict[str, Any] | None = None
    lead_category_id: Id = None
    lead_data: LeadData | None = None
    reason: str | None = None


def _s(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _preview(ev: SmartleadEvent) -> str | None:
    msg = ev.reply_message
    text = (msg.text if msg else None) or ev.reply_body or ev.preview_text
    if not text and msg and msg.html:
        text = _SPACE.sub(" ", _TAGS.sub(" ", msg.html)).strip()
    return text[:PREVIEW_MAX] if text else None


def lead_email(ev: SmartleadEvent) -> str | None:
    data = ev.lead_data.email if ev.lead_data else None
    if ev.event_type == "EMAIL_REPLY":
        order = (ev.sl_lead_email, ev.lead_email, data, ev.to_email)
    else:
        order = (data, ev.lead_email, ev.sl_lead_email, ev.to_email)
    for candidate in order:
        if candidate and "@" in candidate:
            return candidate.strip().lower()
    return None


def category(ev: SmartleadEvent) -> LeadCategory:
    if ev.lead_category is not None and ev.lead_category.new_name:
        return ev.lead_category
    if isinstance(ev.category, str) and ev.category:
        return LeadCategory(new_name=ev.category, new_id=ev.lead_category_id)
    if isinstance(ev.category, dict) and ev.category.get("name"):
        return LeadCategory(new_name=str(ev.category["name"]), new_id=ev.category.get("id"))
    return ev.lead_category or LeadCategory()


def normalise(ev: SmartleadEvent) -> dict[str, Any]:
    """The small dict crm_sync receives (task_names.HANDLE_SMARTLEAD_EVENT); 422 on gaps."""
    email = lead_email(ev)
    if email is None:
        raise invalid(
            "sl_lead_email",
            "no lead email in the event (sl_lead_email, lead_email, lead_data.email or to_email)",
        )
    cat = category(ev)
    if ev.event_type == "LEAD_CATEGORY_UPDATED" and not cat.new_name:
        raise invalid("lead_category.new_name", "a category update must name the new category")
    reply = ev.reply_message
    data = ev.lead_data
    return {
        "lead_email": email,
        "campaign_id": _s(ev.campaign_id),
        "campaign_name": ev.campaign_name,
        "client_id": _s(ev.client_id),
        "event_timestamp": ev.event_timestamp,
        "sl_email_lead_id": _s(ev.sl_email_lead_id),
        "sl_email_lead_map_id": _s(ev.sl_email_lead_map_id),
        "lead_id": _s(ev.lead_id),
        "from_email": ev.from_email,
        "to_name": ev.to_name,
        "subject": ev.subject[:500] if ev.subject else None,
        "sequence_number": _int(ev.sequence_number),
        "reply_message_id": reply.message_id if reply else None,
        "reply_time": (reply.time if reply else None) or ev.time_replied,
        "reply_preview": _preview(ev),
        "category_new_name": cat.new_name,
        "category_new_id": _s(cat.new_id),
        "category_old_name": cat.old_name,
        "category_old_id": _s(cat.old_id),
        "first_name": data.first_name if data else None,
        "last_name": data.last_name if data else None,
        "company_name": data.company_name if data else None,
    }


def identity(ev: SmartleadEvent, email: str | None) -> str:
    """Smartlead sends no event id: hash what identifies one event."""
    from api_gateway.dedup import identity_hash

    reply_id = ev.reply_message.message_id if ev.reply_message else None
    sent_id = ev.sent_message.message_id if ev.sent_message else None
    cat = category(ev)
    return identity_hash(
        ev.event_type,
        email,
        _s(ev.campaign_id),
        _s(ev.stats_id),
        reply_id,
        sent_id,
        ev.event_timestamp,
        _s(cat.new_id),
        cat.new_name,
        _s(ev.sl_email_lead_map_id),
    )
