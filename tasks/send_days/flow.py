"""One account's send-days run: judge each active campaign's weekdays, narrow where the
evidence says so, record the table and the schedule before/after, tell Slack.

Cost: nothing for a campaign settled from stored figures (opt-out, change interval, too little
data); otherwise one ``GET /campaigns/{id}`` (the re-read: its schedule, zone and status) and,
for a change, one ``POST /campaigns/{id}/schedule`` with all six fields. Dry-run reads but never
writes, and records and announces "would narrow".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from tasks.send_days.evaluate import DaysRule, Evaluation, judge, screen
from tasks.send_days.models import SendDayChange, last_changes, unannounced
from tasks.send_days.rules import lookback
from workers import audit
from workers.accounts import automation_config, get_account
from workers.campaign_stats import days_between, totals_of
from workers.clients.errors import ApiError, PermanentError
from workers.db import session_scope
from workers.logging import get_logger
from workers.models import Account, utcnow
from workers.scheduling import RunContext

AUTOMATION = "send_days"
log = get_logger("tasks.send_days")


def narrow_account(ctx: RunContext) -> None:
    """The scheduled check's work for one account (fills ``ctx.summary`` or skips)."""
    today = ctx.period_start
    with session_scope() as s:
        account = get_account(s, ctx.account_id)
        if account is None:
            ctx.skip(f"account {ctx.account_id} not found")
            return
        config = automation_config(account, AUTOMATION)
        rule, dry_run = DaysRule.from_params(config.params), ctx.dry_run or config.dry_run
        active = [(t.campaign_id, t.name) for t in totals_of(s, account.id) if t.status == "ACTIVE"]
        if not active:
            ctx.skip("no active campaign in the stored figures (analytics snapshot not run?)")
            return
        changes = {
            cid: LastChange(
                row.changed_on,
                row.state,
                list(row.schedule_after.get("days_of_the_week", [])),
                dict(row.evidence),
            )
            for cid, row in last_changes(s, account.id).items()
        }
        start, end = lookback(today, rule.lookback_days)
        figures = days_between(s, account.id, start, end)
    smartlead = _LazyClient(account)
    try:
        results: dict[str, dict[str, Any]] = {}
        for cid, name in active:
            results[cid] = _one(
                account,
                smartlead,
                cid,
                name,
                changes.get(cid),
                figures.get(cid, {}),
                rule=rule,
                today=today,
                ctx=ctx,
                dry_run=dry_run,
            )
    finally:
        smartlead.close()
    counts: dict[str, int] = {}
    for item in results.values():
        counts[item["outcome"]] = counts.get(item["outcome"], 0) + 1
    ctx.summary = {
        "dry_run": dry_run,
        "lookback": [start.isoformat(), end.isoformat()],
        "replies_counted_by": "send date",
        "test": "Beta-Binomial posterior, uniform priors, Bonferroni over the weekdays judged",
        "confidence": rule.confidence,
        "counts": counts,
        "campaigns": results,
        "slack": _announce(account, results, dry_run),
    }


@dataclass(frozen=True)
class LastChange:
    changed_on: dt.date
    state: str
    after: list[int]
    evidence: dict[str, Any]


class _LazyClient:
    """The account's Smartlead client, built on the first campaign that needs a call."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self._client: Any = None

    def get(self) -> Any:
        if self._client is None:
            from workers.clients.factory import smartlead_for

            self._client = smartlead_for(self.account, lane="bulk")
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def _one(
    account: Account,
    smartlead: _LazyClient,
    cid: str,
    name: str,
    last: LastChange | None,
    figures: dict[dt.date, Any],
    *,
    rule: DaysRule,
    today: dt.date,
    ctx: RunContext,
    dry_run: bool,
) -> dict[str, Any]:
    """One campaign: screened from stored figures, or re-read, judged and maybe narrowed."""
    pending = last is not None and last.state == "writing"
    if last is not None and last.state == "done" and last.changed_on == today:
        # An earlier attempt of this run (retried after the write) made it: same record.
        return {**last.evidence, "outcome": "changed"}
    if not pending:
        screened = screen(
            cid,
            name,
            rule=rule,
            today=today,
            figures=figures,
            account_tz=account.timezone,
            opted_out=cid in rule.exclude_campaign_ids,
            last_change_on=last.changed_on if last else None,
        )
        if screened is not None:
            return screened.as_json()
    client = smartlead.get()
    campaign = client.get_campaign(int(cid))
    if pending and last is not None and _finish_pending(account.id, cid, campaign, last.after):
        return {"name": name, "outcome": "changed", "reason": "an interrupted change had landed"}
    ev = judge(cid, name, campaign, rule=rule, figures=figures, account_tz=account.timezone)
    if ev.outcome == "change":
        return _act(account, client, ev, today, ctx.run_id, dry_run)
    if ev.outcome == "no_schedule":
        _audit(account.id, ev, "skipped", ev.reason, ctx.run_id)
    return ev.as_json()


def _audit(account_id: int, ev: Evaluation, outcome: str, reason: str, run_id: int) -> None:
    audit.record(
        AUTOMATION,
        "narrow_send_days",
        outcome,
        reason,
        account_id=account_id,
        subject=ev.campaign_id,
        details={"run_id": run_id, **ev.as_json()},
    )


def _finish_pending(account_id: int, cid: str, campaign: Any, after_days: list[int]) -> bool:
    """A change whose run died around the write: done if the schedule shows it, else forgotten
    (the write never landed) and the campaign is judged again."""
    from tasks.send_days.schedule import read_schedule

    read = read_schedule(campaign) if campaign is not None else None
    landed = bool(read and read.schedule and read.schedule.days_of_the_week == sorted(after_days))
    with session_scope() as s:
        row = s.scalar(
            select(SendDayChange).where(
                SendDayChange.account_id == account_id,
                SendDayChange.campaign_id == cid,
                SendDayChange.state == "writing",
            )
        )
        if row is not None:
            if landed:
                row.state = "done"
            else:
                s.delete(row)
    return landed


def _act(
    account: Account, client: Any, ev: Evaluation, today: dt.date, run_id: int, dry_run: bool
) -> dict[str, Any]:
    assert ev.before is not None and ev.after is not None
    result = ev.as_json()
    if dry_run:
        _audit(account.id, ev, "dry_run", f"would narrow: {ev.summary_line()}", run_id)
        return {**result, "outcome": "would_change"}
    with session_scope() as s:
        row = SendDayChange(
            account_id=account.id,
            campaign_id=ev.campaign_id,
            campaign_name=ev.name,
            changed_on=today,
            run_id=run_id,
            schedule_before=ev.before.to_body(),
            schedule_after=ev.after.to_body(),
            evidence=result,
        )
        s.add(row)
        s.flush()
        change_id = row.id
    try:
        client.save_schedule(int(ev.campaign_id), ev.after)
    except PermanentError as exc:
        with session_scope() as s:
            gone = s.get(SendDayChange, change_id)
            if gone is not None:
                s.delete(gone)
        _audit(account.id, ev, "failed", exc.message, run_id)
        return {**result, "outcome": "failed", "error": exc.message}
    with session_scope() as s:
        done = s.get(SendDayChange, change_id)
        if done is not None:
            done.state, done.changed_at = "done", utcnow()
    _audit(account.id, ev, "done", ev.summary_line(), run_id)
    log.info("send_days_narrowed", account_id=account.id, campaign_id=ev.campaign_id)
    return {**result, "outcome": "changed"}


def _announce(account: Account, results: dict[str, dict[str, Any]], dry_run: bool) -> str:
    """One Slack summary: the changes not told yet (or, in dry-run, what would change)."""
    ids: list[int] = []
    if dry_run:
        lines = [
            f"{r['name']} (#{cid}) would go {_days(r, 'schedule_before')} → "
            f"{_days(r, 'schedule_after')}: {r['reason']}"
            for cid, r in results.items()
            if r["outcome"] == "would_change"
        ]
    else:
        with session_scope() as s:
            rows = unannounced(s, account.id)
            ids = [r.id for r in rows]
            lines = [
                f"{r.campaign_name} (#{r.campaign_id}) now sends "
                f"{_days(r.evidence, 'schedule_after')} (was "
                f"{_days(r.evidence, 'schedule_before')}): {r.evidence.get('reason', '')}"
                for r in rows
            ]
    if not lines:
        return "nothing to tell"
    if not account.slack_webhook_url:
        return "no Slack webhook for the account"
    from workers.clients.factory import slack_for

    verb = "would narrow" if dry_run else "narrowed"
    title = f"Send days{' (dry run)' if dry_run else ''}: {verb} {len(lines)} campaign(s)"
    title += f" for {account.name}"
    slack = slack_for(account)
    try:
        slack.post_alert(title, lines, context={"Evidence": "replies by send date, last weeks"})
    except ApiError as exc:
        log.warning("send_days_slack_failed", account_id=account.id, error=exc.message)
        return f"failed: {exc.message}"
    finally:
        slack.close()
    if ids:
        with session_scope() as s:
            for row in s.scalars(select(SendDayChange).where(SendDayChange.id.in_(ids))):
                row.announced = True
    return f"sent ({len(lines)} line(s))"


def _days(result: dict[str, Any], key: str) -> str:
    from tasks.send_days.rules import day_names

    return day_names((result.get(key) or {}).get("days_of_the_week", []))
