"""Smartlead reply/category webhooks read into one small value, whatever shape they came in.

The gateway passes a normalised dict (``lead_email``, ``category_new_name``, ...); the raw
Smartlead payload (``sl_lead_email``, ``lead_category{new_name}``, deprecated twins) is accepted
too, so a replayed dead letter or a hand-sent event works the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

REPLY = "EMAIL_REPLY"
CATEGORY = "LEAD_CATEGORY_UPDATED"
PREVIEW_MAX = 1000


class BadEvent(ValueError):
    """The event cannot be applied (no lead email, unknown type): record it, never retry."""


@dataclass(frozen=True)
class ContactEvent:
    kind: Literal["reply", "category"]
    email: str
    at: datetime  # event time, UTC
    at_known: bool  # False when the payload had no usable timestamp (then: received time)
    campaign_id: str | None
    campaign_name: str | None
    category: str | None = None
    old_category: str | None = None
    preview: str = ""
    # When the lead replied (the reply's own time), which may be earlier than the event's.
    replied_at: datetime | None = None
    # Who the lead is, when the event says: used only to create a missing HubSpot contact.
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None


def _first(d: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        value = d.get(key)
        if value not in (None, "", {}, []):
            return value
    return None


def _nested(d: dict[str, Any], outer: str, inner: str) -> Any:
    value = d.get(outer)
    return value.get(inner) if isinstance(value, dict) else None


def parse_time(value: Any) -> datetime | None:
    """ISO 8601 (with or without zone: naive is UTC), or epoch seconds / milliseconds."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
        n = float(value)
        if n > 1e11:  # milliseconds
            n /= 1000.0
        try:
            return datetime.fromtimestamp(n, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    from dateutil import parser as dateparser

    try:
        parsed = dateparser.isoparse(value.strip())
    except (ValueError, OverflowError):
        try:
            parsed = dateparser.parse(value.strip())
        except (ValueError, OverflowError):
            return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def lead_email(event: dict[str, Any]) -> str | None:
    value = (
        _first(event, "lead_email", "sl_lead_email", "email")
        or _nested(event, "lead_data", "email")
        or _first(event, "to_email")
    )
    if not isinstance(value, str) or "@" not in value:
        return None
    return value.strip().lower()


def category_names(event: dict[str, Any]) -> tuple[str | None, str | None]:
    new = _first(event, "category_new_name") or _nested(event, "lead_category", "new_name")
    old = _first(event, "category_old_name") or _nested(event, "lead_category", "old_name")
    if new is None:
        twin = event.get("category")  # deprecated twin: a name, or {name}
        new = twin.get("name") if isinstance(twin, dict) else twin
    return (str(new).strip() if new else None, str(old).strip() if old else None)


def reply_preview(event: dict[str, Any]) -> str:
    text = _first(event, "preview", "reply_preview", "preview_text", "reply_body")
    if text is None:
        text = _nested(event, "reply_message", "text") or _nested(event, "last_reply", "text")
    return str(text or "")[:PREVIEW_MAX]


def _person(event: dict[str, Any]) -> dict[str, str | None]:
    """First name, last name and company from the normalised dict or the raw ``lead_data``."""

    def pick(*keys: str) -> str | None:
        value = _first(event, *keys)
        if value is None:
            for key in keys:
                value = value or _nested(event, "lead_data", key)
        text = str(value).strip() if value not in (None, "") else ""
        return text[:200] or None

    return {
        "first_name": pick("first_name"),
        "last_name": pick("last_name"),
        "company": pick("company_name", "company"),
    }


def parse_event(
    event_type: str, event: dict[str, Any], *, received_at: datetime | None = None
) -> ContactEvent:
    if event_type not in (REPLY, CATEGORY):
        raise BadEvent(f"crm_sync does not handle {event_type!r}")
    email = lead_email(event)
    if email is None:
        raise BadEvent(f"{event_type} without a lead email")
    at = parse_time(event.get("event_timestamp"))
    replied_at = None
    if event_type == REPLY:
        replied_at = parse_time(
            _first(event, "reply_time", "time_replied") or _nested(event, "reply_message", "time")
        )
        at = at or replied_at
    at_known = at is not None
    at = at or received_at or datetime.now(UTC)
    campaign_id = event.get("campaign_id")
    common = {
        "email": email,
        "at": at,
        "at_known": at_known,
        "campaign_id": str(campaign_id) if campaign_id not in (None, "") else None,
        "campaign_name": _first(event, "campaign_name"),
        "preview": reply_preview(event),
        **_person(event),
    }
    if event_type == REPLY:
        return ContactEvent(kind="reply", replied_at=replied_at, **common)
    new, old = category_names(event)
    if not new:
        raise BadEvent("LEAD_CATEGORY_UPDATED without a new category name")
    return ContactEvent(kind="category", category=new, old_category=old, **common)
