"""The HubSpot side of automation 3: our custom properties, the portal's lifecycle order, and
one event written to one contact (forward-only lifecycle, create when allowed)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from tasks.crm_sync.events import ContactEvent
from workers.clients.errors import PermanentError
from workers.clients.hubspot import forget_known_properties
from workers.logging import get_logger
from workers.models import Account

log = get_logger("tasks.crm_sync.hubspot")

OPTIONS_TTL = 600.0
MISSING_PROPERTY = ("PROPERTY_DOESNT_EXIST", "does not exist")


# The custom properties LeadOps writes: name -> (label, type, fieldType).
PROPERTIES: dict[str, tuple[str, str, str]] = {
    "last_reply_date": ("Last reply date (Smartlead)", "datetime", "date"),
    "smartlead_campaign": ("Smartlead campaign", "string", "text"),
    "smartlead_replied": ("Replied in Smartlead", "string", "text"),
    "smartlead_reply_category": ("Smartlead reply category", "string", "text"),
}


class HubSpot(Protocol):
    def get_contact_by_email(self, email: str, properties: list[str]) -> dict[str, Any] | None: ...
    def create_contact(self, properties: dict[str, Any]) -> dict[str, Any]: ...
    def update_contact(self, contact_id: str, properties: dict[str, Any]) -> dict[str, Any]: ...
    def ensure_property(
        self,
        name: str,
        label: str,
        type: str = "string",  # noqa: A002
        field_type: str = "text",
    ) -> Any: ...
    def lifecycle_stage_options(self) -> list[Any]: ...


@dataclass
class SyncOutcome:
    outcome: str  # done | skipped | dry_run
    reason: str
    contact_id: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    created: bool = False


# ---- decisions (pure) ----------------------------------------------------------------------


def stage_values(options: list[Any]) -> list[str]:
    """Stage internal names in HubSpot's order (options may be names or {value, displayOrder})."""
    rows: list[tuple[float, int, str]] = []
    for i, opt in enumerate(options):
        if isinstance(opt, str):
            rows.append((i, i, opt))
        elif isinstance(opt, dict) and opt.get("value"):
            order = opt.get("displayOrder")
            rows.append(
                (
                    float(order) if isinstance(order, int | float) and order >= 0 else i,
                    i,
                    str(opt["value"]),
                )
            )
    return [value for _, _, value in sorted(rows)]


def lifecycle_move(current: str | None, target: str | None, order: list[str]) -> tuple[bool, str]:
    """(write it?, why). Forward only: an unknown current stage is never overwritten."""
    if not target:
        return False, "category maps to no lifecycle stage"
    if target not in order:
        return False, f"stage {target!r} is not one of this portal's stages"
    if not current:
        return True, f"set to {target}"
    if current not in order:
        return False, f"current stage {current!r} unknown: left as is"
    if order.index(target) <= order.index(current):
        return False, f"kept {current} (would not move back or sideways to {target})"
    return True, f"moved {current} -> {target}"


def hubspot_time(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


# ---- HubSpot -------------------------------------------------------------------------------

_options_cache: dict[str, tuple[float, list[str]]] = {}


def token_key(account: Account) -> str:
    """Identifies the portal credential (a hash, never the token) for caches and markers."""
    raw = f"{account.hubspot_base_url or ''}|{account.hubspot_token or ''}"
    return hashlib.sha256(raw.encode()).hexdigest()[:20]


def ensure_properties(hs: HubSpot, redis: Any, token_key: str) -> None:
    """Create the custom properties once per portal (a Redis marker; 409 'exists' is fine)."""
    marker = f"leadops:crm_sync:properties:{token_key}"
    if redis is not None and redis.get(marker):
        return
    for name, (label, type_, field_type) in PROPERTIES.items():
        hs.ensure_property(name, label, type_, field_type)
    if redis is not None:
        redis.set(marker, "1", ex=7 * 24 * 3600)


def stage_order(hs: HubSpot, token_key: str) -> list[str]:
    hit = _options_cache.get(token_key)
    if hit and time.monotonic() - hit[0] < OPTIONS_TTL:
        return hit[1]
    order = stage_values(list(hs.lifecycle_stage_options()))
    _options_cache[token_key] = (time.monotonic(), order)
    return order


def apply_to_hubspot(
    hs: HubSpot,
    ev: ContactEvent,
    *,
    create_missing: bool,
    lifecycle_target: str | None,
    token_key: str,
    redis: Any,
) -> SyncOutcome:
    ensure_properties(hs, redis, token_key)
    props: dict[str, Any] = {}
    if ev.kind == "reply":
        # The reply's own time when the event carries it (a late webhook is not a late reply).
        props["last_reply_date"] = hubspot_time(ev.replied_at or ev.at)
        props["smartlead_replied"] = "true"
        if ev.campaign_name or ev.campaign_id:
            props["smartlead_campaign"] = ev.campaign_name or ev.campaign_id
    else:
        props["smartlead_reply_category"] = ev.category
    contact = hs.get_contact_by_email(ev.email, ["email", "lifecyclestage"])
    reasons: list[str] = []
    if ev.kind == "category" and lifecycle_target:
        current = ((contact or {}).get("properties") or {}).get("lifecyclestage")
        write, why = lifecycle_move(current, lifecycle_target, stage_order(hs, token_key))
        reasons.append(f"lifecycle: {why}")
        if write:
            props["lifecyclestage"] = lifecycle_target
    if contact is None:
        if not create_missing:
            return SyncOutcome("skipped", "no HubSpot contact for this email (creation is off)")
        try:
            contact = _write(
                hs, redis, token_key, lambda: hs.create_contact({**identity(ev), **props})
            )
            return SyncOutcome(
                "done",
                "; ".join(["contact created", *reasons]),
                str(contact.get("id")),
                props,
                created=True,
            )
        except PermanentError as exc:
            if exc.status_code != 409:  # 409: created meanwhile by someone else: update it
                raise
            contact = hs.get_contact_by_email(ev.email, ["email", "lifecyclestage"])
            if contact is None:
                raise
    contact_id = str(contact.get("id"))
    _write(hs, redis, token_key, lambda: hs.update_contact(contact_id, props))
    return SyncOutcome("done", "; ".join(["contact updated", *reasons]), contact_id, props)


def identity(ev: ContactEvent) -> dict[str, str]:
    """A new contact's email, first name, last name and company (only those the event has);
    an existing contact's are never overwritten from a webhook."""
    fields = {
        "email": ev.email,
        "firstname": ev.first_name,
        "lastname": ev.last_name,
        "company": ev.company,
    }
    return {k: v for k, v in fields.items() if v}


def _write(hs: HubSpot, redis: Any, token_key: str, call: Callable[[], Any]) -> Any:
    """One contact write; when HubSpot says one of our properties does not exist (deleted in
    the portal since we created it), forget what we knew, create them again, write once more."""
    try:
        return call()
    except PermanentError as exc:
        if exc.status_code != 400 or not any(m in exc.message for m in MISSING_PROPERTY):
            raise
        log.warning("hubspot_properties_missing", message=exc.message)

        if redis is not None:
            redis.delete(f"leadops:crm_sync:properties:{token_key}")
        forget_known_properties()
        ensure_properties(hs, redis, token_key)
        return call()
