"""Lead intake: accept one lead into the buffered, chunked, exactly-once path to Smartlead.

This is the API automations call (Clay rows, form submissions, visit follow-ups, CSV rows)::

    from workers.intake.accept import submit_lead

    result = submit_lead(account_id, campaign_id, {"email": "ann@x.com", "first_name": "Ann",
                                                   "custom_fields": {"trigger": "pricing"}},
                         source="form", event_id="form-abc123")
    result.status   # "buffered" | "duplicate" | "blocked" | "rejected"
    result.reason   # why, when not buffered

It validates the email, refuses addresses on the agency block list (outcome ``blocked``),
resolves the campaign (the given one, else the account's ``clay_intake.default_campaign_id``,
else - for forms - ``form_nurture.default_campaign_id``; none: ``rejected``), buffers the lead
in Redis (``workers.intake.buffer``; it is "pending" there, and its ``LeadOutcome`` row is
written with Smartlead's answer for its chunk), and schedules the upload: a chunk is claimed
as soon as the buffer is full, and a flush is scheduled for when the first lead of a buffer
has waited the account's ``max_delay_seconds``. Calling it again with the same ``event_id``
buffers nothing new; a lead already pending or uploaded to that campaign (same email) is a
``duplicate`` (one that ended ``dead``, ``rejected`` or ``blocked`` may be accepted again,
e.g. a replayed dead letter). Safe to call from any task or process sharing Redis and the
database; it publishes tasks by name, never imports ``tasks/``.
Alternatively, send ``tasks.lead_intake.accept_lead`` with the same arguments as kwargs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workers import audit
from workers.blocklist import is_blocked
from workers.clients.smartlead_models import LEAD_TEXT_FIELDS
from workers.db import session_scope
from workers.intake import buffer
from workers.intake.dispatch import INTAKE_SETTINGS, dispatch, intake_params, schedule_flush
from workers.intake.validate import email_problem
from workers.models import LeadOutcome
from workers.redis_client import redis_client

AUDIT_AUTOMATION = INTAKE_SETTINGS  # audit rows of the shared intake path
# A lead in one of these states may be accepted again (e.g. a dead letter replayed).
RETRYABLE_STATUSES = {"dead", "rejected", "blocked"}
PARAMS_TTL = 5.0


@dataclass(frozen=True)
class AcceptResult:
    status: str  # buffered | duplicate | blocked | rejected
    reason: str = ""
    campaign_id: str | None = None
    email: str | None = None


def normalise_email(raw: Any) -> str | None:
    """The address as received, lower-cased, when the gateway's rule accepts it (validate.py:
    one rule for both, and a punycode domain is never rewritten to Unicode), else None."""
    if email_problem(raw) is not None:
        return None
    return str(raw).strip().lower()


def clean_lead(lead: dict[str, Any], email: str) -> dict[str, Any]:
    """Only Smartlead's lead fields (unknown keys would be refused), no empty values."""
    out: dict[str, Any] = {"email": email}
    for key in LEAD_TEXT_FIELDS:
        value = lead.get(key)
        if value not in (None, ""):
            out[key] = str(value).strip()
    custom = lead.get("custom_fields") or {}
    if isinstance(custom, dict) and custom:
        out["custom_fields"] = {str(k): v for k, v in custom.items() if v is not None}
    return out


def _reject(
    account_id: int | None,
    reason: str,
    *,
    subject: str | None,
    event_id: str | None,
    source: str,
    task_id: str | None,
    status: str = "rejected",
    campaign_id: str | None = None,
) -> AcceptResult:
    audit.record(
        AUDIT_AUTOMATION,
        "accept_lead",
        "skipped",
        reason,
        account_id=account_id,
        subject=(subject or "")[:320] or None,
        event_id=event_id,
        task_id=task_id,
        details={"source": source, "status": status, "campaign_id": campaign_id},
    )
    return AcceptResult(status, reason, campaign_id, subject)


def _existing(
    session: Session, account_id: int, campaign_id: str, email: str
) -> tuple[str, str | None] | None:
    row = session.execute(
        select(LeadOutcome.status, LeadOutcome.event_id).where(
            LeadOutcome.account_id == account_id,
            LeadOutcome.campaign_id == campaign_id,
            LeadOutcome.email == email,
        )
    ).first()
    return (row[0], row[1]) if row else None


def _record_blocked(
    account_id: int, campaign_id: str, email: str, *, source: str, event_id: str | None
) -> None:
    for _ in range(3):
        try:
            with session_scope() as s:
                row = s.scalar(
                    select(LeadOutcome).where(
                        LeadOutcome.account_id == account_id,
                        LeadOutcome.campaign_id == campaign_id,
                        LeadOutcome.email == email,
                    )
                )
                if row is None:
                    row = LeadOutcome(account_id=account_id, campaign_id=campaign_id, email=email)
                    s.add(row)
                row.status, row.reason = "blocked", "on the agency block list"
                row.source, row.event_id, row.chunk_id = source, event_id, None
            return
        except IntegrityError:
            continue  # a concurrent accept inserted it: update that row


def submit_lead(
    account_id: int,
    campaign_id: str | None,
    lead: dict[str, Any],
    *,
    source: str,
    event_id: str | None,
    task_id: str | None = None,
    redis: Any = None,
) -> AcceptResult:
    """Accept one lead (see the module docstring). Never raises for a bad lead: the answer
    says why it was not buffered, and the audit log / outcome table keep the reason.

    The happy path writes nothing to the database: the lead waits in Redis (its email in the
    campaign's pending set) and its ``LeadOutcome`` row is written with the chunk's answer.
    """
    raw_email = lead.get("email") if isinstance(lead, dict) else None
    email = normalise_email(raw_email)
    if email is None:
        reason = (
            "missing email"
            if not raw_email
            else f"invalid email {str(raw_email)[:100]!r}: {email_problem(raw_email)}"
        )
        return _reject(
            account_id,
            reason,
            subject=str(raw_email or "") or event_id,
            event_id=event_id,
            source=source,
            task_id=task_id,
        )
    params = intake_params(account_id)
    if not params.exists:
        return _reject(
            account_id,
            f"no active account {account_id}",
            subject=email,
            event_id=event_id,
            source=source,
            task_id=task_id,
        )
    campaign = str(campaign_id) if campaign_id not in (None, "") else params.default_campaign_id
    if not campaign:
        return _reject(
            account_id,
            "no campaign: none given and the account has no clay_intake.default_campaign_id",
            subject=email,
            event_id=event_id,
            source=source,
            task_id=task_id,
        )
    with session_scope() as s:
        blocked = is_blocked(s, email)
        existing = _existing(s, account_id, campaign, email)
    if existing and existing[0] not in RETRYABLE_STATUSES:
        return AcceptResult(
            "duplicate", f"already {existing[0]} in campaign {campaign}", campaign, email
        )
    if blocked:
        _record_blocked(account_id, campaign, email, source=source, event_id=event_id)
        return _reject(
            account_id,
            "on the agency block list",
            subject=email,
            event_id=event_id,
            source=source,
            task_id=task_id,
            status="blocked",
            campaign_id=campaign,
        )
    r = redis if redis is not None else redis_client()
    if existing and event_id and existing[1] == event_id:
        r.delete(buffer.event_key(account_id, event_id))  # a replay of the same event
    result = buffer.buffer_lead(
        r,
        account_id,
        campaign,
        clean_lead(lead, email),
        source=source,
        event_id=event_id,
        chunk_size=params.chunk_size,
        max_delay=params.max_delay,
    )
    if result.duplicate_email:
        return AcceptResult(
            "duplicate", f"already pending for campaign {campaign}", campaign, email
        )
    if not result.accepted:
        return AcceptResult("duplicate", "event already buffered", campaign, email)
    if result.full:
        dispatch(account_id, redis=r, params=params)
    elif result.first:
        schedule_flush(account_id, time.time() + params.max_delay, redis=r)
    return AcceptResult("buffered", "", campaign, email)
