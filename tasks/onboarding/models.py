"""Onboarding runs and their steps: the saga's durable state (migration 0008).

A run is one onboarding of one campaign for one account. ``key`` is its public id: the
gateway's event id for a webhook-started run (deterministic, so a redelivered event finds its
run), a random one for the CLI. ``active_name`` holds the campaign name while the run may still
own a campaign under that name; the unique (account, active_name) pair keeps two runs from
cloning into one name at once (NULLs never collide, on SQLite and PostgreSQL alike).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from workers.models import Base, utcnow


class OnboardingRun(Base):
    __tablename__ = "onboarding_runs"
    __table_args__ = (UniqueConstraint("account_id", "active_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    template_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True
    )
    template_campaign_id: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    active_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # {mailbox_ids: [int], start: bool, keep_partial: bool, source: "cli" | "gateway"}
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source: Mapped[str] = mapped_column(String(16), default="cli")
    event_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # pending | running | compensating | succeeded | failed
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    step: Mapped[str | None] = mapped_column(String(32), nullable=True)  # current / failed
    campaign_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    client_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")
    # "" | deleted | kept | nothing_to_delete | already_deleted | delete_failed
    cleanup: Mapped[str] = mapped_column(String(32), default="")
    notified: Mapped[bool] = mapped_column(Boolean, default=False)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_expires: Mapped[float | None] = mapped_column(Float, nullable=True)  # epoch seconds
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)


class OnboardingStep(Base):
    __tablename__ = "onboarding_steps"
    __table_args__ = (UniqueConstraint("run_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("onboarding_runs.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer)
    # pending | running | done | skipped | failed
    state: Mapped[str] = mapped_column(String(16), default="pending")
    # The ids the step produced (campaign, client, webhooks...) and what it wrote; never a
    # secret. A step about to make a call it cannot repeat records its intent here first.
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")
    # Transient failures so far (5xx, timeouts, 429s that got through); rate-limit waits are not.
    failures: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
