"""What the send-days check would do now, for a person (``leadops send-days``): reads each
campaign (one GET), builds the weekday table in its zone, decides, writes nothing."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from tasks.send_days.evaluate import DaysRule, Evaluation, judge, screen
from tasks.send_days.flow import AUTOMATION
from tasks.send_days.models import last_changes
from tasks.send_days.rules import lookback
from workers.accounts import automation_config
from workers.campaign_stats import days_between, totals_of
from workers.db import session_scope
from workers.models import Account


def local_today(account: Account) -> dt.date:
    return dt.datetime.now(ZoneInfo(account.timezone or "UTC")).date()


def preview(
    account: Account, *, campaign_id: str | None = None, today: dt.date | None = None
) -> tuple[DaysRule, list[Evaluation]]:
    """Each active campaign (or just ``campaign_id``, whatever its status) as the check sees it.
    The table is always built from the campaign as read; the outcome is what the check would
    do, so an opted-out or recently changed campaign shows its table and why it is left."""
    today = today or local_today(account)
    with session_scope() as s:
        rule = DaysRule.from_params(automation_config(account, AUTOMATION).params)
        totals = [
            (t.campaign_id, t.name)
            for t in totals_of(s, account.id)
            if (t.campaign_id == campaign_id if campaign_id else t.status == "ACTIVE")
        ]
        if campaign_id and not totals:
            totals = [(str(campaign_id), "")]
        changes = {cid: row.changed_on for cid, row in last_changes(s, account.id).items()}
        start, end = lookback(today, rule.lookback_days)
        figures = days_between(s, account.id, start, end)
    from workers.clients.factory import smartlead_for

    out: list[Evaluation] = []
    client = smartlead_for(account, lane="realtime")
    try:
        for cid, name in totals:
            days = figures.get(cid, {})
            campaign = client.get_campaign(int(cid))
            ev = judge(cid, name, campaign, rule=rule, figures=days, account_tz=account.timezone)
            early = screen(
                cid,
                ev.name,
                rule=rule,
                today=today,
                figures=days,
                account_tz=account.timezone,
                opted_out=cid in rule.exclude_campaign_ids,
                last_change_on=changes.get(cid),
            )
            if early is not None and early.outcome in ("opted_out", "too_soon"):
                ev.outcome, ev.reason, ev.after = early.outcome, early.reason, None
            out.append(ev)
    finally:
        client.close()
    return rule, out
