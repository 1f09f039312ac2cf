"""The send-day changes LeadOps made: at most one per campaign per interval, with the evidence.

A row is committed (state ``writing``) before the schedule write and marked ``done`` after, so a
retried run finds the change and does not judge the campaign again on the narrowed schedule.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from workers.models import Base, utcnow


class SendDayChange(Base):
    """One change of a campaign's send days."""

    __tablename__ = "send_day_changes"
    __table_args__ = (UniqueConstraint("account_id", "campaign_id", "changed_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    campaign_id: Mapped[str] = mapped_column(String(64))
    campaign_name: Mapped[str] = mapped_column(String(300), default="")
    changed_on: Mapped[dt.date] = mapped_column(Date)  # the account's local date of the run
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default="writing")  # writing | done
    run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    schedule_before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    schedule_after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # table + decision
    announced: Mapped[bool] = mapped_column(Boolean, default=False)  # told Slack


def last_changes(session: Session, account_id: int) -> dict[str, SendDayChange]:
    """Each campaign's most recent change, by campaign id."""
    out: dict[str, SendDayChange] = {}
    rows = session.scalars(
        select(SendDayChange)
        .where(SendDayChange.account_id == account_id)
        .order_by(SendDayChange.changed_on, SendDayChange.id)
    )
    for row in rows:
        out[row.campaign_id] = row
    return out


def unannounced(session: Session, account_id: int) -> list[SendDayChange]:
    return list(
        session.scalars(
            select(SendDayChange)
            .where(
                SendDayChange.account_id == account_id,
                SendDayChange.state == "done",
                SendDayChange.announced.is_(False),
            )
            .order_by(SendDayChange.id)
        )
    )
