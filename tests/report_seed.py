"""Fill the figure stores the way the snapshot and the mailbox check do, for report tests.

Deterministic: the same arguments give the same figures. Returns what was stored so tests can
compare the page with it.
"""

from __future__ import annotations

import base64
import datetime as dt
import random
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from workers.campaign_stats import DayFigures, upsert_days, upsert_totals
from workers.mailbox_stats import MailboxDay

LOGO_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40"><rect width="40" height="40" '
    'rx="8" fill="#0f766e"/><text x="48" y="27" font-size="18" font-family="sans-serif" '
    'fill="#0f766e">BLG</text></svg>'
)
LOGO_DATA_URI = "data:image/svg+xml;base64," + base64.b64encode(LOGO_SVG.encode()).decode()
BRANDING = {
    "brand_name": "Brightline Growth",
    "brand_logo": LOGO_DATA_URI,
    "accent_color": "#0f766e",
}
CAMPAIGNS = (
    ("101", "Q4 CFO outreach", "ACTIVE", 140),
    ("102", "Ops leaders — EU", "ACTIVE", 90),
    ("103", "Re-engage 2025", "PAUSED", 35),
)


@dataclass
class Seeded:
    account_id: int
    slug: str
    days: dict[str, dict[dt.date, DayFigures]] = field(default_factory=dict)


def create_account(
    session: Session,
    slug: str,
    *,
    name: str = "Northwind Traders",
    timezone: str = "Europe/Paris",
    branding: dict[str, object] | None = None,
) -> int:
    from workers.accounts import set_automation
    from workers.models import Account

    account = Account(slug=slug, name=name, timezone=timezone)
    session.add(account)
    session.flush()
    set_automation(session, account, "analytics_snapshot", params=dict(branding or BRANDING))
    return account.id


def seed_days(
    session: Session,
    account_id: int,
    end: dt.date,
    days: int,
    *,
    seed: int = 7,
    skip: tuple[dt.date, ...] = (),
    bounce_heavy: str | None = None,
) -> dict[str, dict[dt.date, DayFigures]]:
    """``days`` local days ending ``end`` for every campaign (weekends send less)."""
    rng = random.Random(seed)
    stored: dict[str, dict[dt.date, DayFigures]] = {}
    for campaign_id, name, status, volume in CAMPAIGNS:
        rows = []
        for i in range(days):
            day = end - dt.timedelta(days=days - 1 - i)
            if day in skip:
                continue
            weekday = day.weekday() < 5
            sent = rng.randint(int(volume * 0.7), volume) if weekday else rng.randint(0, 8)
            replied_by_sent = sum(1 for _ in range(sent) if rng.random() < 0.035)
            bounce_p = 0.06 if campaign_id == bounce_heavy else 0.012
            rows.append(
                DayFigures(
                    day=day,
                    sent=sent,
                    opened=int(sent * rng.uniform(0.3, 0.5)),
                    replied=max(0, replied_by_sent + rng.randint(-1, 1)),
                    replied_by_sent=replied_by_sent,
                    positive_replied=sum(1 for _ in range(replied_by_sent) if rng.random() < 0.4),
                    bounced=sum(1 for _ in range(sent) if rng.random() < bounce_p),
                    unsubscribed=sum(1 for _ in range(sent) if rng.random() < 0.004),
                )
            )
        upsert_days(session, account_id, campaign_id, rows)
        upsert_totals(session, account_id, campaign_id, name=name, status=status)
        stored[campaign_id] = {r.day: r for r in rows}
    return stored


def seed_mailboxes(session: Session, account_id: int, end: dt.date, days: int) -> None:
    """Five mailboxes; one loses reputation and turns weak over the last week."""
    for m in range(5):
        for i in range(days):
            day = end - dt.timedelta(days=days - 1 - i)
            falling = m == 4 and i >= days - 7
            rep = 97.0 - m * 0.5 - (i - (days - 7)) * 2.5 if falling else 97.0 - m * 0.5
            session.add(
                MailboxDay(
                    account_id=account_id,
                    mailbox_id=str(500 + m),
                    day=day,
                    email=f"sender{m + 1}@northwind-mail.example",
                    reputation=rep,
                    smtp_ok=True,
                    imap_ok=True,
                    weak=falling and rep < 90,
                    reasons=["low_reputation"] if falling and rep < 90 else [],
                    weak_since=(end - dt.timedelta(days=3)) if falling and rep < 90 else None,
                )
            )
    session.flush()
