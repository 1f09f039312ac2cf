"""The dead-letter store: work that could not be done, with its reason, replayable by name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from workers.celery_app import app
from workers.db import session_scope
from workers.logging import get_logger
from workers.models import DeadLetter, utcnow
from workers.redaction import redact, redact_value

log = get_logger("leadops.dead_letters")


def record_dead_letter(
    task_name: str,
    payload: dict[str, Any],
    reason: str,
    *,
    error_class: str = "",
    account_id: int | None = None,
    attempts: int = 1,
) -> int:
    """Store the task's arguments (ids and small JSON, never secrets) and why it failed."""
    with session_scope() as s:
        row = DeadLetter(
            task_name=task_name,
            payload=redact_value(payload),
            reason=redact(reason),
            error_class=error_class,
            account_id=account_id,
            attempts=attempts,
        )
        s.add(row)
        s.flush()
        dl_id = row.id
    log.warning(
        "dead_lettered",
        task_name=task_name,
        reason=redact(reason),
        error_class=error_class,
        account_id=account_id,
        dead_letter_id=dl_id,
    )
    return dl_id


def list_dead_letters(status: str | None = "open", limit: int = 100) -> list[DeadLetter]:
    with session_scope() as s:
        q = select(DeadLetter).order_by(DeadLetter.id.desc()).limit(limit)
        if status:
            q = q.where(DeadLetter.status == status)
        return list(s.scalars(q))


def replay(dead_letter_id: int) -> str:
    """Send the task again by name with its stored payload; mark the letter replayed."""

    with session_scope() as s:
        row = s.get(DeadLetter, dead_letter_id)
        if row is None:
            raise LookupError(f"no dead letter {dead_letter_id}")
        if row.status == "replayed":
            raise ValueError(f"dead letter {dead_letter_id} was already replayed")
        payload = dict(row.payload)
        args = payload.pop("__args__", [])
        result = app.send_task(row.task_name, args=args, kwargs=payload)
        row.status = "replayed"
        row.replayed_at = utcnow()
    log.info("dead_letter_replayed", dead_letter_id=dead_letter_id, task_id=result.id)
    return str(result.id)
