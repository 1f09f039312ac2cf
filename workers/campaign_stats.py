"""The campaign figures store: one row per (account, campaign, local day), plus lifetime totals.

Written by the analytics snapshot (automation 4) as upserts, so a re-run or a late correction
replaces a day and never doubles it; read by the report and by the checks that decide from the
same figures (reply guard, send days) so that none of them asks Smartlead again. A day that was
never collected has no row: callers must treat a missing day as unknown, never as zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from workers.models import Base, utcnow

COUNT_FIELDS = (
    "sent",
    "opened",
    "replied",  # replies counted on the day they arrived
    "replied_by_sent",  # replies counted on the day their email was sent (the rate's cohort)
    "positive_replied",
    "bounced",
    "unsubscribed",
)


class CampaignDay(Base):
    """One campaign's figures for one local day of its account."""

    __tablename__ = "campaign_days"
    __table_args__ = (UniqueConstraint("account_id", "campaign_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    campaign_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[dt.date] = mapped_column(Date)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    opened: Mapped[int] = mapped_column(Integer, default=0)
    replied: Mapped[int] = mapped_column(Integer, default=0)
    replied_by_sent: Mapped[int] = mapped_column(Integer, default=0)
    positive_replied: Mapped[int] = mapped_column(Integer, default=0)
    bounced: Mapped[int] = mapped_column(Integer, default=0)
    unsubscribed: Mapped[int] = mapped_column(Integer, default=0)
    collected_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CampaignTotals(Base):
    """A campaign's lifetime figures and state as last seen (one row per account, campaign)."""

    __tablename__ = "campaign_totals"
    __table_args__ = (UniqueConstraint("account_id", "campaign_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    campaign_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(32), default="")  # DRAFTED|ACTIVE|PAUSED|...
    sent: Mapped[int] = mapped_column(Integer, default=0)
    opened: Mapped[int] = mapped_column(Integer, default=0)
    replied: Mapped[int] = mapped_column(Integer, default=0)
    positive_replied: Mapped[int] = mapped_column(Integer, default=0)
    bounced: Mapped[int] = mapped_column(Integer, default=0)
    unsubscribed: Mapped[int] = mapped_column(Integer, default=0)
    leads_total: Mapped[int] = mapped_column(Integer, default=0)
    leads_not_started: Mapped[int] = mapped_column(Integer, default=0)
    leads_in_progress: Mapped[int] = mapped_column(Integer, default=0)
    leads_completed: Mapped[int] = mapped_column(Integer, default=0)
    leads_blocked: Mapped[int] = mapped_column(Integer, default=0)
    first_day: Mapped[dt.date | None] = mapped_column(Date, nullable=True)  # backfilled from
    last_day: Mapped[dt.date | None] = mapped_column(Date, nullable=True)  # newest stored day
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


@dataclass(frozen=True)
class DayFigures:
    """One day's counts, as the decisions and the report read them."""

    day: dt.date
    sent: int = 0
    opened: int = 0
    replied: int = 0
    replied_by_sent: int = 0
    positive_replied: int = 0
    bounced: int = 0
    unsubscribed: int = 0

    def counts(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "day"}


def upsert_days(
    session: Session, account_id: int, campaign_id: str, days: Iterable[DayFigures]
) -> int:
    """Store each day, replacing what was stored for it. Returns how many days were written."""
    wanted = {d.day: d for d in days}
    if not wanted:
        return 0
    existing = {
        row.day: row
        for row in session.scalars(
            select(CampaignDay).where(
                CampaignDay.account_id == account_id,
                CampaignDay.campaign_id == str(campaign_id),
                CampaignDay.day.in_(list(wanted)),
            )
        )
    }
    for day, figures in wanted.items():
        row = existing.get(day)
        if row is None:
            row = CampaignDay(account_id=account_id, campaign_id=str(campaign_id), day=day)
            session.add(row)
        for name, value in figures.counts().items():
            setattr(row, name, int(value))
        row.collected_at = utcnow()
    session.flush()
    return len(wanted)


def days_between(
    session: Session,
    account_id: int,
    start: dt.date,
    end: dt.date,
    campaign_id: str | None = None,
) -> dict[str, dict[dt.date, DayFigures]]:
    """Stored days in [start, end], by campaign id then date. Missing days are absent."""
    query = select(CampaignDay).where(
        CampaignDay.account_id == account_id, CampaignDay.day >= start, CampaignDay.day <= end
    )
    if campaign_id is not None:
        query = query.where(CampaignDay.campaign_id == str(campaign_id))
    out: dict[str, dict[dt.date, DayFigures]] = {}
    for row in session.scalars(query.order_by(CampaignDay.day)):
        out.setdefault(row.campaign_id, {})[row.day] = DayFigures(
            day=row.day, **{name: getattr(row, name) for name in COUNT_FIELDS}
        )
    return out


def upsert_totals(
    session: Session, account_id: int, campaign_id: str, **values: Any
) -> CampaignTotals:
    """Create or update a campaign's totals row with the given column values."""
    row = session.scalar(
        select(CampaignTotals).where(
            CampaignTotals.account_id == account_id,
            CampaignTotals.campaign_id == str(campaign_id),
        )
    )
    if row is None:
        row = CampaignTotals(account_id=account_id, campaign_id=str(campaign_id))
        session.add(row)
    for name, value in values.items():
        if not hasattr(CampaignTotals, name):
            raise ValueError(f"campaign_totals has no column {name!r}")
        setattr(row, name, value)
    session.flush()
    return row


def totals_of(session: Session, account_id: int) -> list[CampaignTotals]:
    """Every campaign known for the account, by campaign id."""
    return list(
        session.scalars(
            select(CampaignTotals)
            .where(CampaignTotals.account_id == account_id)
            .order_by(CampaignTotals.campaign_id)
        )
    )
