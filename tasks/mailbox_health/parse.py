"""What one mailbox answer of ``GET /email-accounts/`` really holds (smartlead-api.md, "Mailboxes").

The reputation is nested (``warmup_details.warmup_reputation``) and a string: ``"97%"``,
``"0%"``, ``""``; ``warmup_details`` is ``null`` when warm-up was never set up. Unknown stays
``None``: never 0 (which would make every new mailbox weak) and never 100 (which would hide it).
SMTP / IMAP health is ``is_smtp_success`` / ``is_imap_success``; ``None`` = not reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workers.clients.smartlead_models import EmailAccount, WarmupStats


@dataclass(frozen=True)
class MailboxReading:
    """One mailbox as read one morning, with unknowns kept as ``None``."""

    id: str
    email: str
    client_id: int | None
    reputation: float | None  # percent; None = unknown
    has_warmup: bool  # warmup_details present (warm-up was set up)
    warmup_status: str | None  # ACTIVE | INACTIVE | None (no warm-up or not reported)
    warmup_blocked: bool
    smtp_ok: bool | None
    imap_ok: bool | None
    suspended: bool
    sent_today: int
    daily_limit: int | None  # campaign sending limit per day (message_per_day)

    @property
    def warmup_active(self) -> bool:
        return self.has_warmup and (self.warmup_status or "").upper() == "ACTIVE"


@dataclass(frozen=True)
class WarmupFigures:
    """The 7-day warm-up stats of one mailbox, reduced to what the rules read."""

    sent: int
    spam: int
    inbox: int

    @property
    def spam_percent(self) -> float | None:
        """Share of warm-up emails that landed in spam; None when nothing was sent."""
        return round(100.0 * self.spam / self.sent, 1) if self.sent > 0 else None

    def as_json(self) -> dict[str, int]:
        return {"sent": self.sent, "spam": self.spam, "inbox": self.inbox}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WarmupFigures:
        return cls(int(data.get("sent", 0)), int(data.get("spam", 0)), int(data.get("inbox", 0)))


def parse_mailbox(row: Mapping[str, Any] | EmailAccount) -> MailboxReading:
    """A listing row (raw answer or a dumped ``EmailAccount``) -> ``MailboxReading``."""
    box = row if isinstance(row, EmailAccount) else EmailAccount.model_validate(dict(row))
    warmup = box.warmup_details
    status = ((warmup.status or "").strip().upper() or None) if warmup else None
    return MailboxReading(
        id=str(box.id),
        email=(box.from_email or box.username or "").strip() or f"mailbox {box.id}",
        client_id=box.client_id,
        reputation=warmup.warmup_reputation if warmup else None,
        has_warmup=warmup is not None,
        warmup_status=status,
        warmup_blocked=bool(warmup and warmup.is_warmup_blocked),
        smtp_ok=box.is_smtp_success,
        imap_ok=box.is_imap_success,
        suspended=bool(box.is_suspended),
        sent_today=max(0, box.daily_sent_count or 0),
        daily_limit=box.message_per_day,
    )


def listing_row(box: EmailAccount) -> dict[str, Any]:
    """The JSON row kept in the shared listing (all clients of the key, split later)."""
    return box.model_dump(mode="json")


def parse_warmup_stats(stats: WarmupStats | Mapping[str, Any]) -> WarmupFigures:
    """``GET /email-accounts/{id}/warmup-stats`` -> sent / spam / inbox over the 7 days.

    The totals are strings; when they are missing but the per-day rows are there, the rows'
    sends are summed (the spam count then stays what the totals said).
    """
    s = stats if isinstance(stats, WarmupStats) else WarmupStats.model_validate(dict(stats))
    sent = s.sent_count or sum(day.sent_count for day in s.stats_by_date)
    return WarmupFigures(sent=max(0, sent), spam=max(0, s.spam_count), inbox=max(0, s.inbox_count))


__all__ = [
    "MailboxReading",
    "WarmupFigures",
    "listing_row",
    "parse_mailbox",
    "parse_warmup_stats",
]
