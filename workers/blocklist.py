"""The agency-wide block list store: one ``BlockedAddress`` row per address or domain.

Shared runtime: intake refuses blocked addresses (``is_blocked``), the block-list automation
adds them (``add_block``) and pushes them to every account (``tasks/blocklist/``), the CLI lists
them. Values are lower-cased; an entry is an address or a whole domain.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workers.models import Account, BlockedAddress, BlockPush


def normalise(value: str) -> tuple[str, str]:
    """('email'|'domain', lower-cased value)."""
    v = value.strip().lower().lstrip("@")  # "@acme.io" means the domain
    return ("email", v) if "@" in v else ("domain", v)


def is_blocked(session: Session, email: str) -> bool:
    """True when the address, or its domain, is on the agency's block list."""
    email = email.strip().lower()
    domain = email.rsplit("@", 1)[-1]
    row = session.scalar(
        select(BlockedAddress.id).where(BlockedAddress.value.in_([email, domain])).limit(1)
    )
    return row is not None


def add_block(
    session: Session, value: str, *, reason: str, source_account_id: int | None, scope: str
) -> tuple[BlockedAddress, bool]:
    """Insert (or find) the BlockedAddress row. Safe under concurrency (unique value)."""
    kind, norm = normalise(value)
    local, _, domain = norm.rpartition("@")
    if not norm or "." not in (domain or norm) or (kind == "email" and not local):
        raise ValueError(f"not an address or domain: {value!r}")
    row = session.scalar(select(BlockedAddress).where(BlockedAddress.value == norm))
    if row is not None:
        if scope == "all" and row.scope != "all":
            row.scope = "all"  # remember the widest scope asked for
        return row, False
    try:
        with session.begin_nested():
            row = BlockedAddress(
                value=norm,
                kind=kind,
                reason=reason[:2000],
                source_account_id=source_account_id,
                scope=scope,
            )
            session.add(row)
            session.flush()
        return row, True
    except IntegrityError:
        row = session.scalar(select(BlockedAddress).where(BlockedAddress.value == norm))
        if row is None:  # pragma: no cover - vanished between insert and select
            raise
        return row, False


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes: they are UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def list_blocks(session: Session, limit: int = 500) -> list[dict[str, Any]]:
    """The block list with each account's push outcome (for `leadops blocklist list`)."""
    rows = list(
        session.scalars(select(BlockedAddress).order_by(BlockedAddress.id.desc()).limit(limit))
    )
    slugs = dict(session.execute(select(Account.id, Account.slug)).tuples().all())
    out: list[dict[str, Any]] = []
    for b in rows:
        pushes = session.scalars(
            select(BlockPush).where(BlockPush.blocked_id == b.id).order_by(BlockPush.account_id)
        )
        out.append(
            {
                "id": b.id,
                "value": b.value,
                "kind": b.kind,
                "scope": b.scope,
                "reason": b.reason,
                "source": slugs.get(b.source_account_id) if b.source_account_id else None,
                "created_at": as_utc(b.created_at),
                "pushes": {slugs.get(p.account_id, str(p.account_id)): p.status for p in pushes},
            }
        )
    return out
