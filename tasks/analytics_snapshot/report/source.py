"""Read what the report needs from the stores (campaign days, totals, mailbox days)."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from tasks.analytics_snapshot.report.data import (
    CampaignMeta,
    MailboxState,
    ReportInputs,
    Thresholds,
)
from tasks.analytics_snapshot.report.periods import Period, previous
from workers import campaign_stats, mailbox_stats
from workers.accounts import automation_config
from workers.automations import AnalyticsSnapshotParams
from workers.models import Account


def params_of(account: Account) -> AnalyticsSnapshotParams:
    params: AnalyticsSnapshotParams = automation_config(account, "analytics_snapshot").params
    return params


def thresholds_of(params: AnalyticsSnapshotParams) -> Thresholds:
    return Thresholds(
        bounce_percent=params.bounce_warn_percent,
        unsubscribe_percent=params.unsubscribe_warn_percent,
        min_sent=params.warn_min_sent,
    )


def load_inputs(session: Session, account: Account, period: Period) -> ReportInputs:
    prev = previous(period)
    days = campaign_stats.days_between(session, account.id, period.start, period.end)
    before = campaign_stats.days_between(session, account.id, prev.start, prev.end)
    configured = set(params_of(account).campaign_ids)
    if configured:  # the account reports only the campaigns it is configured for
        days = {c: d for c, d in days.items() if c in configured}
        before = {c: d for c, d in before.items() if c in configured}
    campaigns = {
        row.campaign_id: CampaignMeta(
            row.campaign_id, row.name or f"Campaign {row.campaign_id}", row.status
        )
        for row in campaign_stats.totals_of(session, account.id)
    }
    ever = bool(
        days
        or session.scalar(
            select(exists().where(campaign_stats.CampaignDay.account_id == account.id))
        )
    )
    mailboxes = [
        MailboxState(
            mailbox_id=row.mailbox_id,
            email=row.email,
            day=row.day,
            reputation=row.reputation,
            smtp_ok=row.smtp_ok,
            imap_ok=row.imap_ok,
            weak=row.weak,
            reasons=tuple(row.reasons or ()),
            weak_since=row.weak_since,
        )
        for row in mailbox_stats.days_between(session, account.id, period.start, period.end)
    ]
    return ReportInputs(
        account_name=account.name,
        period=period,
        previous=prev,
        days=days,
        previous_days=before,
        campaigns=campaigns,
        mailboxes=mailboxes,
        ever_collected=ever,
    )
