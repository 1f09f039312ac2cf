"""Database models: client accounts, automation settings, and what the automations did.

Schema changes go through Alembic migrations in ops/migrations (``leadops db upgrade``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from workers.crypto import EncryptedJSON, EncryptedString


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, datetime: DateTime(timezone=True)}


class Account(Base):
    """One client account of the agency, with its own Smartlead key and integrations."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Named group for agency-wide actions scoped to a group (e.g. block list propagation).
    group_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    smartlead_api_key: Mapped[str | None] = mapped_column(EncryptedString, nullable=True)
    smartlead_base_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    smartlead_client_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # "default" | "standard" | "pro" | "custom" (then rate_limits holds [[limit, seconds], ...]).
    rate_limit_plan: Mapped[str] = mapped_column(String(32), default="default")
    rate_limits: Mapped[list[list[float]] | None] = mapped_column(
        JSON(none_as_null=True), nullable=True
    )

    hubspot_token: Mapped[str | None] = mapped_column(EncryptedString, nullable=True)
    hubspot_base_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    slack_webhook_url: Mapped[str | None] = mapped_column(EncryptedString, nullable=True)
    # Per-source inbound webhook secrets: {"smartlead": ..., "clay": ..., "typeform": ...,
    # "tally": ..., "rb2b": ..., "visitor": ..., "form": ...}.
    webhook_secrets: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)

    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    automations: Mapped[list[AutomationSetting]] = relationship(
        back_populates="account", cascade="all, delete-orphan", lazy="selectin"
    )

    def __repr__(self) -> str:  # never include secrets
        return f"<Account id={self.id} slug={self.slug!r}>"


class AutomationSetting(Base):
    """Per-account switch and parameters of one automation (validated by workers.automations)."""

    __tablename__ = "automation_settings"
    __table_args__ = (UniqueConstraint("account_id", "automation"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    automation: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    account: Mapped[Account] = relationship(back_populates="automations")


class AuditLog(Base):
    """What an automation did (or decided not to do), and why."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True, index=True
    )
    automation: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(32))  # done | skipped | dry_run | failed
    reason: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str | None] = mapped_column(String(320), nullable=True)  # email/campaign
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    task_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    event_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)


class LeadOutcome(Base):
    """One lead's fate in one campaign: the record that makes intake exactly-once and queryable."""

    __tablename__ = "lead_outcomes"
    __table_args__ = (UniqueConstraint("account_id", "campaign_id", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    campaign_id: Mapped[str] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(320), index=True)
    source: Mapped[str] = mapped_column(String(32))  # clay | form | visit | csv | ...
    # pending | added | already_in_campaign | invalid_email | blocked | unsubscribed | rejected
    # | dead
    status: Mapped[str] = mapped_column(String(32), default="pending", index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    chunk_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    event_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    replied: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DeadLetter(Base):
    """Work that could not be done, with its reason; replayable with `leadops deadletters`."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True, index=True
    )
    task_name: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # never a secret
    reason: Mapped[str] = mapped_column(Text)
    error_class: Mapped[str] = mapped_column(String(64), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open|replayed
    replayed_at: Mapped[datetime | None] = mapped_column(nullable=True)


class ProcessedEvent(Base):
    """Idempotency ledger: a redelivered event finds its work done here and does nothing."""

    __tablename__ = "processed_events"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(64))  # e.g. "crm_sync", "blocklist:<account>"
    key: Mapped[str] = mapped_column(String(200))
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BlockedAddress(Base):
    """An address or domain the agency must never email again, in any client account."""

    __tablename__ = "blocked_addresses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[str] = mapped_column(String(320), unique=True, index=True)  # lower-cased
    kind: Mapped[str] = mapped_column(String(8))  # email | domain
    reason: Mapped[str] = mapped_column(Text, default="")
    source_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True
    )
    scope: Mapped[str] = mapped_column(String(64), default="all")  # account | all | group:<name>
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BlockPush(Base):
    """One block-list entry pushed to one account's Smartlead: at most once each."""

    __tablename__ = "block_pushes"
    __table_args__ = (UniqueConstraint("blocked_id", "account_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    blocked_id: Mapped[int] = mapped_column(ForeignKey("blocked_addresses.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | done | failed
    detail: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ContactSyncState(Base):
    """Last event applied to a CRM contact, so late older events never overwrite newer ones."""

    __tablename__ = "contact_sync_state"
    __table_args__ = (UniqueConstraint("account_id", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    hubspot_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_reply_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_category_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_category: Mapped[str | None] = mapped_column(String(64), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class VisitFollowup(Base):
    """A lead added to a warm follow-up campaign after a site visit (cooldown bookkeeping)."""

    __tablename__ = "visit_followups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320), index=True)
    campaign_id: Mapped[str] = mapped_column(String(64))
    page_url: Mapped[str] = mapped_column(Text, default="")
    added_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
