"""One account's reply-guard run: decide from stored days, pause what stays low, tell Slack.

Cost: no Smartlead call unless a campaign is to be paused; then one ``GET /campaigns/{id}``
(the re-read: pause only what is still ACTIVE) and one ``POST .../status {"status": "PAUSED"}``.
The campaign list and statuses come from the figures automation 4 stores (``CampaignTotals``).
Dry-run calls Smartlead not at all: it records and announces "would pause".

Re-running a run is harmless: a campaign already paused is seen so on the re-read and left
alone, and Slack is told about each pause once (``GuardPause.announced``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasks.reply_guard import notify
from tasks.reply_guard.models import GuardPause, latest_pauses, unannounced
from tasks.reply_guard.rules import GuardDecision, GuardRule, PauseState, decide, resume_day
from tasks.reply_guard.rules import window as guard_window
from workers import audit
from workers.accounts import automation_config, get_account
from workers.campaign_stats import days_between, totals_of
from workers.clients.errors import ApiError, PermanentError
from workers.db import session_scope
from workers.logging import get_logger
from workers.models import Account, utcnow
from workers.scheduling import RunContext

AUTOMATION = "reply_guard"
log = get_logger("tasks.reply_guard")


@dataclass
class Plan:
    """One campaign the rules want paused."""

    campaign_id: str
    name: str
    decision: GuardDecision


@dataclass(frozen=True)
class Seen:
    """A campaign as the stored figures last saw it."""

    campaign_id: str
    name: str
    status: str
    seen_at: dt.datetime


def guard_account(ctx: RunContext) -> None:
    """The scheduled check's work for one account (fills ``ctx.summary`` or skips)."""
    today = ctx.period_start
    with session_scope() as s:
        account = get_account(s, ctx.account_id)
        if account is None:
            ctx.skip(f"account {ctx.account_id} not found")
            return
        config = automation_config(account, AUTOMATION)
        params, dry_run = config.params, ctx.dry_run or config.dry_run
        rule = GuardRule.from_params(params)
        totals = [
            Seen(t.campaign_id, t.name, t.status, _aware(t.updated_at))
            for t in totals_of(s, account.id)
        ]
        if not totals:
            ctx.skip("no campaign figures stored for the account (analytics snapshot not run)")
            return
        to_read = _needs_reread(s, account.id, totals)
    statuses = _reread(account, to_read) if to_read and not dry_run else {}
    with session_scope() as s:
        resumes = _note_resumes(s, account, totals, statuses, today, ctx)
        outcomes, plans = _decide_all(s, account, totals, rule, params, today)
    for plan in plans:
        outcomes[plan.campaign_id].update(_act(account, plan, today, ctx, dry_run))
    slack = _announce(account, plans, outcomes, dry_run)
    days = guard_window(today, rule)
    counts: dict[str, int] = {"not_active": sum(t.status != "ACTIVE" for t in totals)}
    for item in outcomes.values():
        counts[item["outcome"]] = counts.get(item["outcome"], 0) + 1
    ctx.summary = {
        "dry_run": dry_run,
        "window": [days[0].isoformat(), days[-1].isoformat()],
        "threshold_percent": rule.threshold_percent,
        "min_sent_per_day": rule.min_sent_per_day,
        "replies_counted_by": "send date",
        "counts": counts,
        "campaigns": outcomes,
        "resumes_seen": resumes,
        "slack": slack,
    }


# ---- state: resumes and decisions ---------------------------------------------------------
def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _needs_reread(s: Session, account_id: int, totals: list[Seen]) -> list[str]:
    """Campaigns whose current status only Smartlead can tell: a pause whose run died before
    recording its outcome, and a LeadOps pause the figures show ACTIVE from a reading older
    than the pause (the snapshot may simply not have run since)."""
    by_id = {t.campaign_id: t for t in totals}
    out = []
    for cid, pause in latest_pauses(s, account_id).items():
        t = by_id.get(cid)
        stale_active = (
            pause.resumed_on is None
            and t is not None
            and t.status == "ACTIVE"
            and t.seen_at <= _aware(pause.paused_at)
        )
        if pause.state == "pausing" or stale_active:
            out.append(cid)
    return out


def _reread(account: Account, campaign_ids: list[str]) -> dict[str, str | None]:
    from workers.clients.factory import smartlead_for

    client = smartlead_for(account, lane="bulk")
    try:
        out: dict[str, str | None] = {}
        for cid in campaign_ids:
            campaign = client.get_campaign(int(cid))
            out[cid] = campaign.status if campaign is not None else None
        return out
    finally:
        client.close()


def _note_resumes(
    s: Session,
    account: Account,
    totals: list[Seen],
    statuses: dict[str, str | None],
    today: dt.date,
    ctx: RunContext,
) -> list[dict[str, Any]]:
    """A campaign LeadOps paused that is ACTIVE now (re-read, or in figures read after the
    pause) was resumed by a person: record the latest date that can have happened on.

    A pause whose run died before recording its outcome and that is ACTIVE now may be a call
    that never landed or an immediate resume: it is treated as a resume, so LeadOps never
    fights a person."""
    by_id = {t.campaign_id: t for t in totals}
    seen: list[dict[str, Any]] = []
    for cid, pause in latest_pauses(s, account.id).items():
        if pause.state == "pausing" and cid in statuses:
            pause.state = "paused"
        if pause.resumed_on is not None:
            continue
        t = by_id.get(cid)
        if cid in statuses:
            active = statuses[cid] == "ACTIVE"
        else:
            active = t is not None and t.status == "ACTIVE" and t.seen_at > _aware(pause.paused_at)
        if not active:
            continue
        since = days_between(
            s, account.id, pause.paused_on + dt.timedelta(days=1), today, campaign_id=cid
        ).get(cid, {})
        pause.resumed_on = resume_day(pause.paused_on, today, since)
        pause.resume_seen_at = utcnow()
        item = {
            "campaign_id": cid,
            "paused_on": str(pause.paused_on),
            "resumed_on": str(pause.resumed_on),
        }
        seen.append(item)
        audit.record(
            AUTOMATION,
            "resume_seen",
            "done",
            f"resumed by a person on or before {pause.resumed_on}; LeadOps waits for fresh days",
            account_id=account.id,
            subject=cid,
            details={**item, "run_id": ctx.run_id},
            session=s,
        )
    return seen


def _decide_all(
    s: Session,
    account: Account,
    totals: list[Seen],
    rule: GuardRule,
    params: Any,
    today: dt.date,
) -> tuple[dict[str, dict[str, Any]], list[Plan]]:
    pauses = latest_pauses(s, account.id)
    excluded = {str(c) for c in params.exclude_campaign_ids}
    start = guard_window(today, rule)[0]
    for row in pauses.values():
        if row.resumed_on is not None:
            start = min(start, row.resumed_on + dt.timedelta(days=1))
    figures = days_between(s, account.id, start, today - dt.timedelta(days=1))
    outcomes: dict[str, dict[str, Any]] = {}
    plans: list[Plan] = []
    for t in totals:
        cid = t.campaign_id
        if t.status != "ACTIVE":
            continue  # only active campaigns are judged (the summary counts the others)
        if cid in excluded:
            outcomes[cid] = {"name": t.name, "outcome": "opted_out", "reason": "opt-out list"}
            continue
        pause = pauses.get(cid)
        if pause is not None and pause.paused_on == today and pause.resumed_on is None:
            # An earlier attempt of this run (retried after the pause) did it: same record.
            outcomes[cid] = {"name": t.name, **pause.figures, "outcome": "paused"}
            continue
        state = PauseState(pause.paused_on, pause.resumed_on) if pause else None
        decision = decide(today, figures.get(cid, {}), rule, state)
        outcome = {"pause": "pause", "keep": "kept", "no_decision": "no_decision"}[decision.action]
        outcomes[cid] = {"name": t.name, "outcome": outcome, **decision.as_json()}
        if decision.action == "pause":
            plans.append(Plan(cid, t.name, decision))
    return outcomes, plans


# ---- acting -------------------------------------------------------------------------------
def _act(
    account: Account, plan: Plan, today: dt.date, ctx: RunContext, dry_run: bool
) -> dict[str, Any]:
    figures = plan.decision.as_json()
    details = {"run_id": ctx.run_id, "campaign_name": plan.name, **figures}
    if dry_run:
        audit.record(
            AUTOMATION,
            "pause",
            "dry_run",
            f"would pause: {plan.decision.reason}",
            account_id=account.id,
            subject=plan.campaign_id,
            details=details,
        )
        return {"outcome": "would_pause"}
    from workers.clients.factory import smartlead_for

    client = smartlead_for(account, lane="bulk")
    try:
        current = client.get_campaign(int(plan.campaign_id))
        status = current.status if current is not None else None
        if status != "ACTIVE":
            why = "deleted" if current is None else f"status {status} on re-read"
            audit.record(
                AUTOMATION,
                "pause",
                "skipped",
                f"not paused: campaign {why}",
                account_id=account.id,
                subject=plan.campaign_id,
                details=details,
            )
            return {"outcome": "not_active_on_reread", "status_on_reread": status}
        pause_id = _begin_pause(account.id, plan, today, ctx.run_id, figures)
        try:
            client.set_campaign_status(int(plan.campaign_id), "PAUSED")
        except PermanentError as exc:
            _forget_pause(pause_id)
            audit.record(
                AUTOMATION,
                "pause",
                "failed",
                exc.message,
                account_id=account.id,
                subject=plan.campaign_id,
                details=details,
            )
            return {"outcome": "failed", "error": exc.message}
    finally:
        client.close()
    with session_scope() as s:
        row = s.get(GuardPause, pause_id)
        if row is not None:
            row.state = "paused"
        audit.record(
            AUTOMATION,
            "pause",
            "done",
            plan.decision.reason,
            account_id=account.id,
            subject=plan.campaign_id,
            details=details,
            session=s,
        )
    log.info("campaign_paused", account_id=account.id, campaign_id=plan.campaign_id)
    return {"outcome": "paused"}


def _begin_pause(
    account_id: int, plan: Plan, today: dt.date, run_id: int, figures: dict[str, Any]
) -> int:
    """Committed before the status call (a crash after the call still leaves LeadOps' mark)."""
    with session_scope() as s:
        row = s.scalar(
            select(GuardPause).where(
                GuardPause.account_id == account_id,
                GuardPause.campaign_id == plan.campaign_id,
                GuardPause.paused_on == today,
            )
        )
        if row is None:
            row = GuardPause(account_id=account_id, campaign_id=plan.campaign_id, paused_on=today)
            s.add(row)
        row.campaign_name, row.run_id, row.figures = plan.name, run_id, figures
        row.state, row.paused_at, row.resumed_on = "pausing", utcnow(), None
        s.flush()
        return row.id


def _forget_pause(pause_id: int) -> None:
    with session_scope() as s:
        row = s.get(GuardPause, pause_id)
        if row is not None:
            s.delete(row)


def _announce(
    account: Account, plans: list[Plan], outcomes: dict[str, dict[str, Any]], dry_run: bool
) -> str:
    """One Slack message for the account: every pause not told yet (this run's, or an earlier
    run's whose message failed), or in dry-run what would have been paused."""
    ids: list[int] = []
    if dry_run:
        lines = [
            notify.pause_line(p.name, p.campaign_id, p.decision.as_json(), "would be paused")
            for p in plans
            if outcomes[p.campaign_id]["outcome"] == "would_pause"
        ]
    else:
        with session_scope() as s:
            rows = unannounced(s, account.id)
            ids = [r.id for r in rows]
            lines = [
                notify.pause_line(r.campaign_name, r.campaign_id, r.figures, "paused") for r in rows
            ]
    if not lines:
        return "nothing to tell"
    if not account.slack_webhook_url:
        return "no Slack webhook for the account"
    from workers.clients.factory import slack_for

    title, bullets, context = notify.pause_alert(account.name, lines, dry_run=dry_run)
    slack = slack_for(account)
    try:
        slack.post_alert(title, bullets, context=context)
    except ApiError as exc:  # the pauses stand; the next run tells Slack again
        log.warning("reply_guard_slack_failed", account_id=account.id, error=exc.message)
        return f"failed: {exc.message}"
    finally:
        slack.close()
    if ids:
        with session_scope() as s:
            for row in s.scalars(select(GuardPause).where(GuardPause.id.in_(ids))):
                row.announced = True
    return f"sent ({len(lines)} line(s))"
