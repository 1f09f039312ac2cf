"""Stored client-report artifacts and the hashed per-account link tokens that open them.

Workers render a report and store it here; the gateway serves what is stored and never renders
(it imports no task code). This module knows nothing of what a report contains: an artifact is
an HTML page and a CSV under a period key. A link token is shown once, when it is issued, and
only its SHA-256 is kept: tokens are 32 random bytes, so a fast hash is enough (there is nothing
to brute-force) and a database dump gives no working link.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from workers.models import Account, Base, utcnow

TOKEN_BYTES = 32
PERIOD_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
# Compared against when the account or its link is unknown, so every miss costs the same.
_NO_HASH = hashlib.sha256(b"no link").hexdigest()


class ClientReport(Base):
    """One rendered report of one account for one period (replaced on each render)."""

    __tablename__ = "client_reports"
    __table_args__ = (UniqueConstraint("account_id", "period_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    period_key: Mapped[str] = mapped_column(String(32))  # e.g. "last-30-days", "2026-11"
    html: Mapped[str] = mapped_column(Text)
    csv: Mapped[str] = mapped_column(Text, default="")
    rendered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ReportLink(Base):
    """The account's current report link: only the token's hash (one link per account)."""

    __tablename__ = "report_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), unique=True
    )
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    rotated_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)


@dataclass(frozen=True)
class LinkState:
    created_at: dt.datetime
    rotated_at: dt.datetime | None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# ---- artifacts -------------------------------------------------------------------------------
def store_report(
    session: Session, account_id: int, period_key: str, html: str, csv: str = ""
) -> ClientReport:
    """Store (or replace) the report of one period."""
    if not PERIOD_KEY_RE.match(period_key):
        raise ValueError(f"invalid period key {period_key!r}")
    row = session.scalar(
        select(ClientReport).where(
            ClientReport.account_id == account_id, ClientReport.period_key == period_key
        )
    )
    if row is None:
        row = ClientReport(account_id=account_id, period_key=period_key)
        session.add(row)
    row.html, row.csv, row.rendered_at = html, csv, utcnow()
    session.flush()
    return row


def stored_report(session: Session, account_id: int, period_key: str) -> ClientReport | None:
    return session.scalar(
        select(ClientReport).where(
            ClientReport.account_id == account_id, ClientReport.period_key == period_key
        )
    )


def stored_period_keys(session: Session, account_id: int) -> list[str]:
    return list(
        session.scalars(
            select(ClientReport.period_key)
            .where(ClientReport.account_id == account_id)
            .order_by(ClientReport.period_key)
        )
    )


# ---- links -----------------------------------------------------------------------------------
def issue_token(session: Session, account_id: int) -> str:
    """A new token for the account; the previous one (if any) stops working at once.

    The plain token is returned to be shown once and is never stored.
    """
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = session.scalar(select(ReportLink).where(ReportLink.account_id == account_id))
    if row is None:
        session.add(ReportLink(account_id=account_id, token_hash=hash_token(token)))
    else:
        row.token_hash, row.rotated_at = hash_token(token), utcnow()
    session.flush()
    return token


def link_state(session: Session, account_id: int) -> LinkState | None:
    row = session.scalar(select(ReportLink).where(ReportLink.account_id == account_id))
    return None if row is None else LinkState(row.created_at, row.rotated_at)


def token_matches(session: Session, account_id: int | None, token: str) -> bool:
    """Whether ``token`` opens the account's reports (constant time in the token)."""
    # The same query runs for an unknown account (id -1 matches nothing), so the answer takes
    # as long whether or not the account exists.
    stored = session.scalar(
        select(ReportLink.token_hash).where(
            ReportLink.account_id == (account_id if account_id is not None else -1)
        )
    )
    given = hash_token(token)
    ok = hmac.compare_digest(given, stored or _NO_HASH)
    return ok and stored is not None


def report_for_link(
    session: Session, slug: str, token: str, period_key: str
) -> tuple[str, str] | None:
    """(html, csv) the link opens for the period, or None for anything wrong (one answer)."""
    account = session.scalar(select(Account).where(Account.slug == slug))
    account_id = account.id if account is not None and account.active else None
    if not token_matches(session, account_id, token) or account_id is None:
        return None
    row = stored_report(session, account_id, period_key)
    return None if row is None else (row.html, row.csv)
