"""The mailbox state store: one row per (account, mailbox, local day).

Written by the morning mailbox-health check (automation 7); read by the check itself (alert on
change, "weak since") and by the client report's mailbox-health summary. ``reputation`` is None
when Smartlead has no warm-up figure for the mailbox: unknown, not 0 and not 100.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from workers.models import Base, utcnow


class MailboxDay(Base):
    """One mailbox's state on one local morning of its account."""

    __tablename__ = "mailbox_days"
    __table_args__ = (UniqueConstraint("account_id", "mailbox_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    mailbox_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    email: Mapped[str] = mapped_column(String(320), default="")
    reputation: Mapped[float | None] = mapped_column(Float, nullable=True)  # percent or unknown
    smtp_ok: Mapped[bool] = mapped_column(Boolean, default=True)
    imap_ok: Mapped[bool] = mapped_column(Boolean, default=True)
    warmup_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    sent_today: Mapped[int] = mapped_column(Integer, default=0)
    daily_limit: Mapped[int] = mapped_column(Integer, default=0)
    weak: Mapped[bool] = mapped_column(Boolean, default=False)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)  # e.g. ["smtp_failed"]
    weak_since: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    checked_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


LOOKBACK_DAYS = 60  # a mailbox not seen for longer starts afresh (and the read stays bounded)


def latest_before(
    session: Session, account_id: int, day: dt.date, *, lookback_days: int = LOOKBACK_DAYS
) -> dict[str, MailboxDay]:
    """Each mailbox's most recent stored state strictly before ``day`` (within the lookback),
    by mailbox id."""
    out: dict[str, MailboxDay] = {}
    since = day - dt.timedelta(days=lookback_days)
    rows = session.scalars(
        select(MailboxDay)
        .where(
            MailboxDay.account_id == account_id,
            MailboxDay.day < day,
            MailboxDay.day >= since,
        )
        .order_by(MailboxDay.day)
    )
    for row in rows:
        out[row.mailbox_id] = row
    return out


def days_between(
    session: Session, account_id: int, start: dt.date, end: dt.date
) -> list[MailboxDay]:
    """Stored mailbox states in [start, end], oldest first."""
    return list(
        session.scalars(
            select(MailboxDay)
            .where(
                MailboxDay.account_id == account_id,
                MailboxDay.day >= start,
                MailboxDay.day <= end,
            )
            .order_by(MailboxDay.day, MailboxDay.mailbox_id)
        )
    )
