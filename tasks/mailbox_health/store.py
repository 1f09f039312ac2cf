"""Reading and writing the mailbox state store (``workers.mailbox_stats.MailboxDay``).

One row per (account, mailbox, local day), upserted: a re-run of the same morning replaces the
day's rows, never doubles them. ``weak_since`` and ``details["since"]`` are carried forward from
the previous morning so the report and ``leadops mailboxes`` can say since when.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasks.mailbox_health.rules import Previous, Verdict
from workers.mailbox_stats import MailboxDay, days_between, latest_before
from workers.models import utcnow


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def previous_of(row: MailboxDay) -> Previous:
    details = row.details or {}
    return Previous(
        day=row.day,
        weak=bool(row.weak),
        reasons=frozenset(row.reasons or ()),
        weak_since=row.weak_since,
        since=_date(details.get("since")),
        remedy=details.get("remedy") or None,
    )


def load_previous(session: Session, account_id: int, day: dt.date) -> dict[str, Previous]:
    """Each mailbox's most recent state before ``day`` (yesterday, or the last check)."""
    return {mid: previous_of(row) for mid, row in latest_before(session, account_id, day).items()}


def load_day(session: Session, account_id: int, day: dt.date) -> dict[str, MailboxDay]:
    """Rows already stored for ``day`` (an earlier attempt of the same morning)."""
    return {row.mailbox_id: row for row in days_between(session, account_id, day, day)}


def row_values(
    verdict: Verdict, *, remedy: Mapping[str, Any] | None, extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The column values of one mailbox's row for the day."""
    r = verdict.reading
    unreported = [name for name, ok in (("smtp", r.smtp_ok), ("imap", r.imap_ok)) if ok is None]
    details: dict[str, Any] = {
        "since": verdict.since.isoformat(),
        "transition": verdict.transition,
        "problems": [{"code": p.code, "text": p.text} for p in verdict.reasons],
        "notes": [{"code": p.code, "text": p.text} for p in verdict.notes],
        "has_warmup": r.has_warmup,
        "warmup_blocked": r.warmup_blocked,
        "suspended": r.suspended,
        "client_id": r.client_id,
    }
    if unreported:
        details["unreported"] = unreported
    if r.daily_limit is None:
        details["daily_limit_unknown"] = True
    if remedy:
        details["remedy"] = dict(remedy)
    details.update(extra or {})
    return {
        "email": r.email[:320],
        "reputation": r.reputation,
        "smtp_ok": r.smtp_ok is not False,
        "imap_ok": r.imap_ok is not False,
        "warmup_status": r.warmup_status if r.has_warmup else None,
        "sent_today": r.sent_today,
        "daily_limit": r.daily_limit or 0,
        "weak": verdict.weak,
        "reasons": verdict.reason_codes,
        "weak_since": verdict.weak_since,
        "details": details,
    }


def upsert_day(
    session: Session,
    account_id: int,
    day: dt.date,
    values: Iterable[tuple[str, dict[str, Any]]],
) -> int:
    """Store each mailbox's state for ``day``, replacing what an earlier attempt stored."""
    existing = load_day(session, account_id, day)
    n = 0
    for mailbox_id, cols in values:
        row = existing.get(mailbox_id)
        if row is None:
            row = MailboxDay(account_id=account_id, mailbox_id=mailbox_id, day=day)
            session.add(row)
        for name, value in cols.items():
            setattr(row, name, value)
        row.checked_at = utcnow()
        n += 1
    session.flush()
    return n


def set_remedy(
    session: Session,
    account_id: int,
    day: dt.date,
    mailbox_id: str,
    record: Mapping[str, Any] | None,
) -> None:
    """Replace the remedy record of one stored row (after its call succeeded)."""
    row = session.scalar(
        select(MailboxDay).where(
            MailboxDay.account_id == account_id,
            MailboxDay.mailbox_id == mailbox_id,
            MailboxDay.day == day,
        )
    )
    if row is None:
        return
    details = dict(row.details or {})
    if record:
        details["remedy"] = dict(record)
    else:
        details.pop("remedy", None)
    row.details = details  # a new dict: the JSON column sees the change


def latest_day(session: Session, account_id: int) -> dt.date | None:
    """The most recent morning stored for the account."""
    return session.scalar(
        select(MailboxDay.day)
        .where(MailboxDay.account_id == account_id)
        .order_by(MailboxDay.day.desc())
        .limit(1)
    )


__all__ = [
    "latest_day",
    "load_day",
    "load_previous",
    "previous_of",
    "row_values",
    "set_remedy",
    "upsert_day",
]
