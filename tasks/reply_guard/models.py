"""LeadOps' own pauses: the state that lets the guard tell a person's resume from its own pause.

A row is written (state ``pausing``) and committed *before* the status call, then marked
``paused``: a crash between the two still leaves a record, so a later resume by a person is
never mistaken for a campaign LeadOps has no history with.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from workers.models import Base, utcnow


class GuardPause(Base):
    """One pause LeadOps made (or was making) of one campaign."""

    __tablename__ = "reply_guard_pauses"
    __table_args__ = (UniqueConstraint("account_id", "campaign_id", "paused_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    campaign_id: Mapped[str] = mapped_column(String(64))
    campaign_name: Mapped[str] = mapped_column(String(300), default="")
    paused_on: Mapped[dt.date] = mapped_column(Date)  # the account's local date of the run
    paused_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default="pausing")  # pausing | paused
    run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the decision
    # Best known local date a person resumed it (an upper bound: see rules.resume_day).
    resumed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    resume_seen_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    announced: Mapped[bool] = mapped_column(Boolean, default=False)  # told Slack


def latest_pauses(session: Session, account_id: int) -> dict[str, GuardPause]:
    """Each campaign's most recent LeadOps pause, by campaign id."""
    out: dict[str, GuardPause] = {}
    rows = session.scalars(
        select(GuardPause)
        .where(GuardPause.account_id == account_id)
        .order_by(GuardPause.paused_on, GuardPause.id)
    )
    for row in rows:
        out[row.campaign_id] = row
    return out


def unannounced(session: Session, account_id: int) -> list[GuardPause]:
    """Pauses done but not yet told to the account's Slack channel."""
    return list(
        session.scalars(
            select(GuardPause)
            .where(
                GuardPause.account_id == account_id,
                GuardPause.state == "paused",
                GuardPause.announced.is_(False),
            )
            .order_by(GuardPause.id)
        )
    )
