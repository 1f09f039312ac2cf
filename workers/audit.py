"""The audit log: what each automation did, or decided not to do, and why."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from workers.db import session_scope
from workers.logging import get_logger
from workers.models import AuditLog
from workers.redaction import redact_value

log = get_logger("leadops.audit")


def record(
    automation: str,
    action: str,
    outcome: str,
    reason: str = "",
    *,
    account_id: int | None = None,
    subject: str | None = None,
    details: dict[str, Any] | None = None,
    event_id: str | None = None,
    task_id: str | None = None,
    session: Session | None = None,
) -> None:
    """Write one audit row (in the caller's session when given, else in its own transaction)."""
    row = AuditLog(
        automation=automation,
        action=action,
        outcome=outcome,
        reason=reason,
        account_id=account_id,
        subject=subject,
        details=redact_value(details or {}),
        event_id=event_id,
        task_id=task_id,
    )
    log.info(
        "audit",
        automation=automation,
        action=action,
        outcome=outcome,
        reason=reason,
        account_id=account_id,
        subject=subject,
        event_id=event_id,
    )
    if session is not None:
        session.add(row)
        return
    with session_scope() as s:
        s.add(row)
