"""Upload one claimed chunk to Smartlead and record each lead's outcome from the answer.

Called by ``tasks.lead_intake.upload_chunk``. Order of events for a chunk (``workers.intake.buffer``
holds the state): start (fenced by the claim's token) -> drop leads whose outcome is already
recorded ->
mark sending -> add_leads -> record outcomes (one transaction, rows tagged with the chunk id)
-> ack -> dispatch the account's next chunk. A worker killed between "mark sending" and "ack"
leaves the chunk ``sending``; the reaper hands it to a new task, which re-sends only the leads
with no row for this chunk yet and counts the re-send. A whole-request validation error
(400/422) splits the chunk in halves until the bad lead is alone; it is then dead-lettered
with the server's message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import insert, select

from workers import audit
from workers.accounts import get_account
from workers.clients.errors import ApiError, NotFound, PermanentError, RateLimited, Unauthorized
from workers.clients.factory import smartlead_for
from workers.db import session_scope
from workers.dead_letters import record_dead_letter
from workers.intake import buffer
from workers.intake.dispatch import INTAKE_SETTINGS as AUTOMATION
from workers.intake.dispatch import dispatch
from workers.logging import get_logger
from workers.models import LeadOutcome, utcnow
from workers.redis_client import redis_client
from workers.task_names import ACCEPT_LEAD

log = get_logger("leadops.intake")

# Smartlead's counts of leads it did not add, and the outcome each stands for.
REFUSALS = (
    ("already_added_to_campaign", "already_in_campaign"),
    ("block_count", "blocked"),
    ("unsubscribed_leads", "unsubscribed"),
    ("bounce_count", "bounced"),
    ("duplicate_count", "duplicate"),
    ("lead_import_stopped_count", "lead_limit"),
)
RESEND_REASON = (
    "re-sent after an attempt that may have been applied (worker died, 5xx or timeout); "
    "Smartlead counted it already in campaign: added by that attempt"
)


def classify(
    emails: list[str], answer: Any, *, resend: bool = False
) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """Each email's (status, reason) from an add-leads answer, and reconciliation notes.

    The answer names invalid (and sometimes unsubscribed) addresses; the other refusals are
    only counted. When the counts pin every lead down (none refused, or all refused the same
    way) each lead gets that status; otherwise the unnamed leads are ``unresolved`` with the
    counts in the reason. On a re-send, "already in campaign" is the first send's success.
    """
    out: dict[str, tuple[str, str]] = {}
    invalid = {e.strip().lower() for e in answer.invalid_emails}
    unsub_named = {e.strip().lower() for e in getattr(answer, "unsubscribed_emails", [])}
    for e in emails:
        if e in invalid:
            out[e] = ("invalid_email", "Smartlead refused the address as invalid")
        elif e in unsub_named:
            out[e] = ("unsubscribed", "Smartlead: the lead unsubscribed")
    rest = [e for e in emails if e not in out]
    counts = {status: int(getattr(answer, field, 0) or 0) for field, status in REFUSALS}
    counts["unsubscribed"] = max(0, counts["unsubscribed"] - len(unsub_named & set(emails)))
    refused = {k: v for k, v in counts.items() if v > 0}
    if not refused:
        out.update({e: ("added", "") for e in rest})
    elif resend and set(refused) == {"already_in_campaign"}:
        out.update({e: ("added", RESEND_REASON) for e in rest})
    elif len(refused) == 1 and sum(refused.values()) == len(rest):
        status = next(iter(refused))
        out.update({e: (status, f"Smartlead counted it {status.replace('_', ' ')}") for e in rest})
    else:
        summary = ", ".join(f"{k} {v}" for k, v in sorted(refused.items()))
        out.update(
            {
                e: (
                    "unresolved",
                    f"not attributable per lead: uploaded {answer.upload_count}, {summary}",
                )
                for e in rest
            }
        )

    notes: list[str] = []
    if answer.total_leads and answer.total_leads != len(emails):
        notes.append(f"total_leads {answer.total_leads} != {len(emails)} sent")
    accounted = (
        answer.upload_count
        + answer.invalid_email_count
        + sum(int(getattr(answer, f, 0) or 0) for f, _ in REFUSALS)
    )
    if accounted != len(emails):
        notes.append(f"counts add up to {accounted}, {len(emails)} sent")
    if answer.invalid_email_count != len(invalid & set(emails)):
        notes.append(
            f"invalid_email_count {answer.invalid_email_count} but "
            f"{len(invalid & set(emails))} named invalid addresses in the chunk"
        )
    return out, notes


def _recorded_emails(session: Any, chunk: buffer.Chunk) -> set[str]:
    """Leads of this chunk whose outcome an earlier run of it already recorded."""
    emails = [e["lead"]["email"] for e in chunk.entries]
    return set(
        session.scalars(
            select(LeadOutcome.email).where(
                LeadOutcome.account_id == chunk.account_id,
                LeadOutcome.campaign_id == chunk.campaign_id,
                LeadOutcome.email.in_(emails),
                LeadOutcome.chunk_id == chunk.chunk_id,
            )
        )
    )


def record_outcomes(
    session: Any, chunk: buffer.Chunk, outcomes: dict[str, tuple[str, str]]
) -> None:
    """Write each lead's row (insert, or update the row of an earlier dead/blocked attempt),
    tagged with the chunk id: a re-run of the chunk then knows what is already recorded."""
    entries = {e["lead"]["email"]: e for e in chunk.entries}
    existing = {
        row.email: row
        for row in session.scalars(
            select(LeadOutcome).where(
                LeadOutcome.account_id == chunk.account_id,
                LeadOutcome.campaign_id == chunk.campaign_id,
                LeadOutcome.email.in_(list(outcomes)),
            )
        )
    }
    now = utcnow()
    new_rows = []
    for email, (status, reason) in outcomes.items():
        entry = entries.get(email, {})
        values = {
            "status": status,
            "reason": reason[:2000],
            "chunk_id": chunk.chunk_id,
            "source": entry.get("source") or "clay",
            "event_id": entry.get("event_id"),
            "updated_at": now,
        }
        row = existing.get(email)
        if row is None:
            new_rows.append(
                {
                    "account_id": chunk.account_id,
                    "campaign_id": chunk.campaign_id,
                    "email": email,
                    "created_at": now,
                    **values,
                }
            )
        elif row.chunk_id != chunk.chunk_id:
            for k, v in values.items():
                setattr(row, k, v)
    if new_rows:
        session.execute(insert(LeadOutcome), new_rows)


def dead_letter_leads(
    chunk: buffer.Chunk,
    entries: list[dict[str, Any]],
    reason: str,
    error_class: str,
    *,
    task_id: str | None = None,
) -> None:
    """Each lead to the dead-letter store as a replayable ``accept_lead`` (same event id)."""

    for e in entries:
        record_dead_letter(
            ACCEPT_LEAD,
            {
                "account_id": chunk.account_id,
                "campaign_id": chunk.campaign_id,
                "source": e.get("source") or "clay",
                "event_id": e.get("event_id"),
                "lead": e["lead"],
            },
            reason,
            error_class=error_class,
            account_id=chunk.account_id,
        )
    with session_scope() as s:
        record_outcomes(s, chunk, {e["lead"]["email"]: ("dead", reason) for e in entries})
        audit.record(
            AUTOMATION,
            "upload_chunk",
            "failed",
            reason,
            account_id=chunk.account_id,
            subject=chunk.campaign_id,
            task_id=task_id,
            details={
                "chunk_id": chunk.chunk_id,
                "dead_lettered": len(entries),
                "error_class": error_class,
            },
            session=s,
        )


def _bulk_client(account: Any) -> Any:
    return smartlead_for(account, lane="bulk")


def _finish(r: Any, chunk: buffer.Chunk, result: dict[str, Any]) -> dict[str, Any]:
    buffer.ack_chunk(r, chunk)
    dispatch(chunk.account_id, redis=r)
    return result


def _count_if_resend(r: Any, chunk: buffer.Chunk, leads: int, task_id: str | None) -> None:
    """Count and audit a re-send once it has really gone out (not when it was deferred)."""
    if not chunk.resend:
        return
    total = buffer.count_resend(r, chunk.account_id)
    audit.record(
        AUTOMATION,
        "resend_chunk",
        "done",
        "re-sent after an attempt that may have been applied (worker died, 5xx or timeout)",
        account_id=chunk.account_id,
        subject=chunk.campaign_id,
        task_id=task_id,
        details={"chunk_id": chunk.chunk_id, "leads": leads, "resends_total": total},
    )


def upload_chunk(
    account_id: int,
    chunk_id: str,
    fencing_token: int,
    *,
    client_for: Callable[[Any], Any] | None = None,
    task_id: str | None = None,
    final_attempt: bool = False,
    redis: Any = None,
) -> dict[str, Any]:
    """Upload one chunk. Raises retryable errors (the chunk keeps its lease meanwhile) unless
    ``final_attempt``: then its leads are dead-lettered. ``RateLimitDeferred`` passes through
    (the chunk waits, not counted as a failure)."""

    r = redis if redis is not None else redis_client()
    chunk = buffer.start_chunk(r, chunk_id, fencing_token)
    if chunk is None:
        return {"outcome": "skipped", "reason": "chunk done or handed to a newer task"}
    client, problem = None, (f"account {account_id} no longer exists", "LookupError")
    with session_scope() as s:
        done = _recorded_emails(s, chunk)
        account = get_account(s, account_id)
        if account is not None:
            try:
                client = (client_for or _bulk_client)(account)
            except PermanentError as exc:  # e.g. no Smartlead key: nothing to retry
                problem = (exc.message, type(exc).__name__)
    todo = [e for e in chunk.entries if e["lead"]["email"] not in done]
    if not todo:
        return _finish(
            r,
            chunk,
            {"outcome": "done", "reason": "outcomes already recorded", "chunk_id": chunk_id},
        )
    if client is None:
        dead_letter_leads(chunk, todo, problem[0], problem[1], task_id=task_id)
        return _finish(r, chunk, {"outcome": "dead", "chunk_id": chunk_id, "reason": problem[0]})
    if not buffer.mark_sending(r, chunk_id, fencing_token):
        return {"outcome": "skipped", "reason": "chunk handed to a newer task"}
    client.max_leads_per_request = max(len(todo), getattr(client, "max_leads_per_request", 0))
    try:
        answer = client.add_leads(int(chunk.campaign_id), [e["lead"] for e in todo])
    except (NotFound, Unauthorized) as exc:
        dead_letter_leads(chunk, todo, exc.message, type(exc).__name__, task_id=task_id)
        return _finish(r, chunk, {"outcome": "dead", "chunk_id": chunk_id, "reason": exc.message})
    except PermanentError as exc:
        if len(todo) > 1 and exc.status_code in (400, 422):
            halves = buffer.split_chunk(r, chunk_id, fencing_token, account_id)
            log.info("chunk_split", chunk_id=chunk_id, halves=halves, reason=exc.message)
            dispatch(account_id, redis=r)
            return {
                "outcome": "split",
                "chunk_id": chunk_id,
                "halves": halves,
                "reason": exc.message,
            }
        dead_letter_leads(chunk, todo, exc.message, type(exc).__name__, task_id=task_id)
        return _finish(r, chunk, {"outcome": "dead", "chunk_id": chunk_id, "reason": exc.message})
    except ApiError as exc:
        # The request went out (an answer or a timeout came back): a real (re-)send.
        _count_if_resend(r, chunk, len(todo), task_id)
        if final_attempt and exc.retryable:
            dead_letter_leads(
                chunk,
                todo,
                f"gave up after retries: {exc.message}",
                type(exc).__name__,
                task_id=task_id,
            )
            return _finish(r, chunk, {"outcome": "dead", "chunk_id": chunk_id})
        # A 5xx or a timeout of a write may have been applied (a ghost 504): the next send
        # is a re-send. A 429 was refused, and a 4xx left nothing behind.
        maybe_applied = not isinstance(exc, RateLimited) and (
            exc.status_code is None or exc.status_code >= 500
        )
        buffer.defer_chunk(r, chunk_id, fencing_token, 300.0, maybe_applied=maybe_applied)
        raise
    except BaseException as exc:  # deferred by the limiter, a bug, a shutdown: keep the chunk
        buffer.defer_chunk(r, chunk_id, fencing_token, float(getattr(exc, "retry_after", 300.0)))
        raise
    _count_if_resend(r, chunk, len(todo), task_id)
    emails = [e["lead"]["email"] for e in todo]
    outcomes, notes = classify(emails, answer, resend=chunk.resend)
    counts: dict[str, int] = {}
    for status, _ in outcomes.values():
        counts[status] = counts.get(status, 0) + 1
    with session_scope() as s:
        record_outcomes(s, chunk, outcomes)
        details = {
            "chunk_id": chunk_id,
            "sent": len(todo),
            "outcomes": counts,
            "answer": answer.model_dump(exclude={"invalid_emails", "unsubscribed_emails"}),
            "resend": chunk.resend,
        }
        if notes:
            audit.record(
                AUTOMATION,
                "reconcile_counts",
                "failed",
                "; ".join(notes),
                account_id=account_id,
                subject=chunk.campaign_id,
                task_id=task_id,
                details=details,
                session=s,
            )
        audit.record(
            AUTOMATION,
            "upload_chunk",
            "done",
            f"{len(todo)} leads sent",
            account_id=account_id,
            subject=chunk.campaign_id,
            task_id=task_id,
            details=details,
            session=s,
        )
    log.info(
        "chunk_uploaded",
        chunk_id=chunk_id,
        account_id=account_id,
        sent=len(todo),
        outcomes=counts,
        resend=chunk.resend,
    )
    return _finish(
        r,
        chunk,
        {
            "outcome": "done",
            "chunk_id": chunk_id,
            "sent": len(todo),
            "outcomes": counts,
            "resend": chunk.resend,
        },
    )
