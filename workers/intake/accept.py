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

import os
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from workers import audit
from workers.intake import buffer as lb
from workers.logging import get_logger
from workers.models import LeadOutcome

log = get_logger("leadops.intake")

AUTOMATION = "clay_intake"
ACCEPT_TASK = "tasks.lead_intake.accept_lead"
UPLOAD_TASK = "tasks.lead_intake.upload_chunk"
FLUSH_TASK = "tasks.lead_intake.flush"
LEAD_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "phone_number",
    "company_name",
    "website",
    "location",
    "linkedin_profile",
    "company_url",
)
# A lead in one of these states may be accepted again (e.g. a dead letter replayed).
RETRYABLE_STATUSES = {"dead", "rejected", "blocked"}
PARAMS_TTL = 5.0


@dataclass(frozen=True)
class AcceptResult:
    status: str  # buffered | duplicate | blocked | rejected
    reason: str = ""
    campaign_id: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class IntakeParams:
    exists: bool
    chunk_size: int = lb.DEFAULT_MAX_LEADS_PER_REQUEST
    max_delay: float = 5.0
    default_campaign_id: str | None = None
    form_campaign_id: str | None = None


_redis: dict[int, Any] = {}
_params: dict[int, tuple[float, IntakeParams]] = {}


def redis_client() -> Any:
    """A Redis client for this process (a forked worker gets its own)."""
    pid = os.getpid()
    client = _redis.get(pid)
    if client is None:
        import redis

        from workers.settings import get_settings

        _redis.clear()
        client = _redis[pid] = redis.Redis.from_url(get_settings().resolved_redis_url())
    return client


def reset_caches() -> None:
    _redis.clear()
    _params.clear()
    lb.reset_intake_settings()


def intake_params(account_id: int) -> IntakeParams:
    """The account's chunk size (capped), max delay and default campaigns (cached a few s)."""
    hit = _params.get(account_id)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    from workers.accounts import automation_config, get_account
    from workers.db import session_scope

    with session_scope() as s:
        account = get_account(s, account_id)
        if account is None or not account.active:
            value = IntakeParams(exists=False)
        else:
            clay = automation_config(account, AUTOMATION).params
            form = automation_config(account, "form_nurture").params
            value = IntakeParams(
                True,
                lb.effective_chunk_size(clay.chunk_size),
                float(clay.max_delay_seconds),
                clay.default_campaign_id,
                form.default_campaign_id,
            )
    _params[account_id] = (time.monotonic() + PARAMS_TTL, value)
    return value


def normalise_email(raw: Any) -> str | None:
    """The lower-cased address when it is syntactically valid, else None."""
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 320:
        return None
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def clean_lead(lead: dict[str, Any], email: str) -> dict[str, Any]:
    """Only Smartlead's lead fields (unknown keys would be refused), no empty values."""
    out: dict[str, Any] = {"email": email}
    for key in LEAD_FIELDS[1:]:
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
        AUTOMATION,
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
    session: Any, account_id: int, campaign_id: str, email: str
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
    from workers.db import session_scope

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
        reason = "missing email" if not raw_email else f"invalid email {str(raw_email)[:100]!r}"
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
    campaign = (
        str(campaign_id)
        if campaign_id not in (None, "")
        else (params.default_campaign_id or (params.form_campaign_id if source == "form" else None))
    )
    if not campaign:
        return _reject(
            account_id,
            "no campaign: none given and the account has no clay_intake.default_campaign_id",
            subject=email,
            event_id=event_id,
            source=source,
            task_id=task_id,
        )
    from workers.blocklist import is_blocked
    from workers.db import session_scope

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
        r.delete(lb.event_key(account_id, event_id))  # a replay of the same event
    result = lb.buffer_lead(
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


def _send(name: str, kwargs: dict[str, Any], countdown: float | None = None) -> None:
    from workers.celery_app import app

    app.send_task(name, kwargs=kwargs, countdown=countdown)


def schedule_flush(account_id: int, at: float, *, redis: Any = None) -> bool:
    """Make sure a flush runs for the account at ``at`` (one pending flush per account)."""
    r = redis if redis is not None else redis_client()
    if not lb.want_flush_at(r, account_id, at):
        return False
    _send(FLUSH_TASK, {"account_id": account_id}, countdown=max(0.0, at - time.time()))
    return True


def dispatch(account_id: int, *, redis: Any = None, params: IntakeParams | None = None) -> int:
    """Claim what the account may upload now (at most K chunks in flight) and hand each chunk
    to one ``upload_chunk`` task; schedule a flush for the next buffer not yet due."""
    r = redis if redis is not None else redis_client()
    params = params or intake_params(account_id)
    if not params.exists:
        params = IntakeParams(True)  # an account deleted mid-flight: drain with defaults
    cfg = lb.intake_settings()
    claims = lb.claim_chunks(
        r,
        account_id,
        chunk_size=params.chunk_size,
        max_delay=params.max_delay,
        limit=cfg.inflight_per_account,
    )
    for chunk_id, gen in claims:
        _send(UPLOAD_TASK, {"account_id": account_id, "chunk_id": chunk_id, "gen": gen})
    due = lb.next_due(r, account_id)
    if due is not None and due > time.time():
        schedule_flush(account_id, due, redis=r)
    if claims:
        log.info("chunks_dispatched", account_id=account_id, chunks=[c for c, _ in claims])
    return len(claims)


def sweep(*, redis: Any = None) -> dict[str, int]:
    """Safety net run by Beat: hand chunks whose worker died to new tasks, and dispatch
    buffers that are due (a lost flush message, a full account freed)."""
    r = redis if redis is not None else redis_client()
    reaped = lb.reap_expired(r)
    for chunk_id, gen, account_id in reaped:
        log.warning("chunk_lease_expired", chunk_id=chunk_id, account_id=account_id, gen=gen)
        _send(UPLOAD_TASK, {"account_id": account_id, "chunk_id": chunk_id, "gen": gen})
    dispatched = 0
    now = time.time()
    for account_id in lb.buffered_accounts(r):
        due = lb.next_due(r, account_id)
        if r.llen(lb.ready_key(account_id)) or (due is not None and due <= now):
            dispatched += dispatch(account_id, redis=r)
    return {"reaped": len(reaped), "dispatched": dispatched}
