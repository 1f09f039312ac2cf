"""Automation 3: a Smartlead reply or reply category reaches the account's HubSpot contact.

Order per contact: a Redis lock serialises the events of one (account, email); the event time,
compared with ContactSyncState.last_reply_at / last_category_at, decides whether an event is
newer than what HubSpot already has. A late older event is recorded and skipped.
Lifecycle stage only moves forward, along the stage order HubSpot itself reports.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tasks.blocklist.flow import block_from_event
from tasks.crm_sync.events import BadEvent, ContactEvent, parse_event
from tasks.crm_sync.hubspot import HubSpot, SyncOutcome, apply_to_hubspot, token_key
from workers import audit
from workers.accounts import automation_config, get_account
from workers.blocklist import as_utc
from workers.celery_app import app
from workers.clients.errors import RateLimitDeferred
from workers.db import session_scope
from workers.logging import get_logger
from workers.models import Account, ContactSyncState, LeadOutcome, ProcessedEvent
from workers.redis_client import redis_client
from workers.task_names import NOTIFY_CRM_SLACK

log = get_logger("tasks.crm_sync.sync")

NOTIFY_TASK = NOTIFY_CRM_SLACK
LOCK_TIMEOUT = 120.0  # a crashed holder frees the contact after this
LOCK_WAIT = 5.0  # then give the slot back and run again shortly


def is_stale(ev: ContactEvent, state: ContactSyncState | None) -> str | None:
    """Why the event is older than what was applied already, or None when it is newer."""
    if state is None:
        return None
    if ev.kind == "reply":
        last = as_utc(state.last_reply_at)
        if last is not None and ev.at <= last:
            return f"reply of {ev.at.isoformat()} not newer than {last.isoformat()}"
        return None
    last = as_utc(state.last_category_at)
    same = ev.at == last and ev.category == state.last_category
    if last is not None and (ev.at < last or same):
        return (
            f"category {ev.category!r} of {ev.at.isoformat()} older than "
            f"{state.last_category!r} of {last.isoformat()}"
        )
    return None


# ---- the event, end to end ------------------------------------------------------------------


def _processed(s: Session, scope: str, key: str) -> bool:
    return (
        s.scalar(
            select(ProcessedEvent.id).where(
                ProcessedEvent.scope == scope, ProcessedEvent.key == key
            )
        )
        is not None
    )


def _mark_processed(s: Session, scope: str, key: str, result: dict[str, Any]) -> None:
    try:
        with s.begin_nested():
            s.add(ProcessedEvent(scope=scope, key=key[:200], result=result))
            s.flush()
    except IntegrityError:
        pass


def _mark_replied(s: Session, account_id: int, ev: ContactEvent) -> None:
    """Every outcome row of this lead in this account says 'replied' (visit follow-up reads it).
    A lead LeadOps never uploaded gets no row: an outcome records what LeadOps did, and a reply
    in a campaign LeadOps did not fill is not an upload (issue 17)."""
    rows = s.scalars(
        select(LeadOutcome).where(
            LeadOutcome.account_id == account_id, LeadOutcome.email == ev.email
        )
    )
    for row in rows:
        row.replied = True


def _save_state(s: Session, account_id: int, ev: ContactEvent, contact_id: str | None) -> None:
    state = s.scalar(
        select(ContactSyncState).where(
            ContactSyncState.account_id == account_id, ContactSyncState.email == ev.email
        )
    )
    if state is None:
        state = ContactSyncState(account_id=account_id, email=ev.email)
        s.add(state)
    if contact_id:
        state.hubspot_id = contact_id
    if ev.kind == "reply":
        state.last_reply_at = ev.at
    else:
        state.last_category_at, state.last_category = ev.at, ev.category


def handle_event(
    account_id: int,
    event_id: str,
    event_type: str,
    event: dict[str, Any],
    *,
    hubspot_for: Callable[[Account], HubSpot],
    redis: Any = None,
    send_task: Callable[..., Any] | None = None,
    task_id: str | None = None,
) -> dict[str, Any]:
    """Apply one EMAIL_REPLY / LEAD_CATEGORY_UPDATED event. Idempotent per event id.

    Raises the client's errors for the task base to act on (RateLimitDeferred, RateLimited,
    TransientError: retry; PermanentError: dead-letter with the server's message)."""
    scope = f"crm_sync:{account_id}"
    redis = redis if redis is not None else redis_client()
    try:
        ev = parse_event(event_type, event)
    except BadEvent as exc:
        audit.record(
            "crm_sync",
            event_type.lower(),
            "skipped",
            str(exc),
            account_id=account_id,
            event_id=event_id,
            task_id=task_id,
        )
        return {"outcome": "skipped", "reason": str(exc)}
    with session_scope() as s:
        if _processed(s, scope, event_id):
            return {"outcome": "skipped", "reason": "event already handled"}
        account = get_account(s, account_id)
        if account is None:
            return {"outcome": "skipped", "reason": f"no account {account_id}"}
        cfg = automation_config(account, "crm_sync")
        blocking = automation_config(account, "blocklist").params.blocking_categories

    block: dict[str, Any] | None = None
    if ev.kind == "category" and ev.category in blocking:
        # An opt-out is honoured whatever its age and whatever HubSpot says next.
        block = block_from_event(
            account_id,
            f"crm_sync:{event_id}",
            ev.email,
            f"category {ev.category!r}",
            trigger="category",
            send_task=send_task,
            task_id=task_id,
        )

    result = _sync_contact(
        account,
        cfg,
        ev,
        event_id,
        hubspot_for=hubspot_for,
        redis=redis,
        send_task=send_task,
        task_id=task_id,
    )
    if block is not None:
        result["block"] = {k: v for k, v in block.items() if k != "value"}
    return result


def _sync_contact(
    account: Account,
    cfg: Any,
    ev: ContactEvent,
    event_id: str,
    *,
    hubspot_for: Callable[[Account], HubSpot],
    redis: Any,
    send_task: Callable[..., Any] | None,
    task_id: str | None,
) -> dict[str, Any]:
    scope, action = f"crm_sync:{account.id}", ev.kind
    subject = ev.email

    def finish(out: SyncOutcome, *, apply_state: bool, notify: bool = False) -> dict[str, Any]:
        result = {
            "outcome": out.outcome,
            "reason": out.reason,
            "email": ev.email,
            "event_time": ev.at.isoformat(),
            "contact_id": out.contact_id,
            "properties": out.properties,
            "created": out.created,
        }
        if notify:
            _enqueue_notification(account.id, event_id, ev, send_task)
            result["slack"] = "queued"
        with session_scope() as s:
            if ev.kind == "reply":
                _mark_replied(s, account.id, ev)
            if apply_state:
                _save_state(s, account.id, ev, out.contact_id)
            audit.record(
                "crm_sync",
                action,
                out.outcome,
                out.reason,
                account_id=account.id,
                subject=subject,
                event_id=event_id,
                task_id=task_id,
                details={k: v for k, v in result.items() if k != "reason"},
                session=s,
            )
            _mark_processed(s, scope, event_id, {"outcome": out.outcome})
        return result

    if not cfg.enabled:
        return finish(SyncOutcome("skipped", "crm_sync automation disabled"), apply_state=False)
    if not account.hubspot_token:
        return finish(SyncOutcome("skipped", "account has no HubSpot token"), apply_state=False)

    lock = redis.lock(
        f"leadops:lock:crm_sync:{account.id}:{_email_key(ev.email)}",
        timeout=LOCK_TIMEOUT,
        blocking_timeout=LOCK_WAIT,
    )
    if not lock.acquire():
        raise RateLimitDeferred(1.0, key_id="contact-lock")
    try:
        with session_scope() as s:
            if _processed(s, scope, event_id):  # a twin delivery finished while we waited
                return {"outcome": "skipped", "reason": "event already handled"}
            state = s.scalar(
                select(ContactSyncState).where(
                    ContactSyncState.account_id == account.id, ContactSyncState.email == ev.email
                )
            )
            stale = is_stale(ev, state)
        if stale:
            return finish(SyncOutcome("skipped", f"out of order: {stale}"), apply_state=False)
        params = cfg.params
        target = params.lifecycle_mapping.get(ev.category) if ev.kind == "category" else None
        notify = bool(
            ev.kind == "category"
            and params.notify_slack
            and ev.category in params.notify_slack_categories
            and account.slack_webhook_url
        )
        if cfg.dry_run:
            return finish(
                SyncOutcome("dry_run", f"would sync {ev.kind} (lifecycle target {target or '-'})"),
                apply_state=False,
            )
        # A PermanentError (HubSpot's 4xx) propagates: ApiTask audits and dead-letters it with
        # HubSpot's message; the event stays unprocessed so a replay applies it.
        out = apply_to_hubspot(
            hubspot_for(account),
            ev,
            create_missing=params.create_missing_contacts,
            lifecycle_target=target,
            token_key=token_key(account),
            redis=redis,
        )
        return finish(out, apply_state=out.outcome == "done", notify=notify)
    finally:
        try:
            lock.release()
        except Exception:  # noqa: BLE001 - expired lock: nothing to release
            log.warning("contact_lock_expired", account_id=account.id)


def _email_key(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:24]


def _enqueue_notification(
    account_id: int, event_id: str, ev: ContactEvent, send_task: Callable[..., Any] | None
) -> None:
    if send_task is None:
        send_task = app.send_task
    send_task(
        NOTIFY_TASK,
        kwargs={
            "account_id": account_id,
            "event_id": event_id,
            "email": ev.email,
            "category": ev.category,
            "campaign": ev.campaign_name or ev.campaign_id,
            "preview": ev.preview[:500],
        },
    )


def notify_slack(
    account_id: int,
    event_id: str,
    email: str,
    category: str | None,
    campaign: str | None,
    preview: str = "",
    *,
    slack_for: Callable[[Account], Any],
    task_id: str | None = None,
) -> dict[str, Any]:
    """Tell the account's Slack channel about an Interested / Meeting Request reply, once."""
    scope = f"crm_sync_slack:{account_id}"
    with session_scope() as s:
        if _processed(s, scope, event_id):
            return {"outcome": "skipped", "reason": "already notified"}
        account = get_account(s, account_id)
        if account is None or not account.slack_webhook_url:
            return {"outcome": "skipped", "reason": "no Slack webhook for the account"}
        client = slack_for(account)
        name = account.name
    text = f"{category or 'Reply'}: {email} replied"
    if campaign:
        text += f" in campaign {campaign}"
    text += f" ({name})"
    lines = [text] + ([f"> {preview[:500]}"] if preview else [])
    client.post("\n".join(lines))  # errors: ApiTask retries or dead-letters
    with session_scope() as s:
        audit.record(
            "crm_sync",
            "slack_notify",
            "done",
            text,
            account_id=account_id,
            subject=email,
            event_id=event_id,
            task_id=task_id,
            session=s,
        )
        _mark_processed(s, scope, event_id, {"outcome": "done"})
    return {"outcome": "done", "text": text}
