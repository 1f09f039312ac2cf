"""The agency-wide block list as LeadOps records it (also pushed to each Smartlead account)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workers.models import BlockedAddress


def normalise(value: str) -> tuple[str, str]:
    """('email'|'domain', lower-cased value)."""
    v = value.strip().lower()
    return ("email", v) if "@" in v else ("domain", v.lstrip("@"))


def is_blocked(session: Session, email: str) -> bool:
    """True when the address, or its domain, is on the agency's block list."""
    email = email.strip().lower()
    domain = email.rsplit("@", 1)[-1]
    row = session.scalar(
        select(BlockedAddress.id).where(BlockedAddress.value.in_([email, domain])).limit(1)
    )
    return row is not None
