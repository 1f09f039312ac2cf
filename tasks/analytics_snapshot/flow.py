"""One account's daily snapshot: its campaigns' previous local day (plus corrections, plus a
first-seen backfill) into ``workers.campaign_stats``, as upserts.

Resumable: a run that the shared limiter interrupts (``RateLimitDeferred``) is sent again with
the same ``run_id``; campaigns it already stored are skipped (a Redis set per run), so a large
account finishes in several short attempts instead of starting over each time.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from tasks.analytics_snapshot import parse, rules, smartlead
from workers import audit
from workers.accounts import automation_config, get_account
from workers.automations import AnalyticsSnapshotParams
from workers.campaign_stats import days_between, totals_of, upsert_days, upsert_totals
from workers.clients.errors import NotFound, PermanentError, Unauthorized
from workers.clients.factory import smartlead_for
from workers.clients.smartlead import SmartleadClient
from workers.db import session_scope
from workers.logging import get_logger
from workers.redis_client import redis_client
from workers.scheduling import RunContext, rows_for_client, shared_listing

AUTOMATION = "analytics_snapshot"
PROGRESS_TTL_SECONDS = 2 * 24 * 3600
MAX_LISTED_IDS = 20  # ids named in a summary (it stays small JSON)

log = get_logger("leadops.analytics_snapshot")


class Progress:
    """What earlier attempts of the same run already did (Redis, expires after two days)."""

    def __init__(self, run_id: int, redis: Any = None) -> None:
        self.redis = redis or redis_client()
        self.key = f"leadops:analytics_snapshot:run:{int(run_id)}"

    def done(self) -> set[str]:
        return {
            m.decode() if isinstance(m, bytes) else str(m)
            for m in self.redis.smembers(self.key + ":done")
        }

    def add(self, counts: Mapping[str, int], campaign_id: int | None = None) -> None:
        pipe = self.redis.pipeline()
        for name, n in counts.items():
            if n:
                pipe.hincrby(self.key, name, int(n))
        if campaign_id is not None:
            pipe.sadd(self.key + ":done", str(campaign_id))
        pipe.expire(self.key, PROGRESS_TTL_SECONDS)
        pipe.expire(self.key + ":done", PROGRESS_TTL_SECONDS)
        pipe.execute()

    def totals(self) -> dict[str, int]:
        raw = self.redis.hgetall(self.key)
        return {(k.decode() if isinstance(k, bytes) else k): int(v) for k, v in raw.items()}


def snapshot_account(ctx: RunContext) -> None:
    """The scheduled check's work for one account and one local day (``ctx.period_start``):
    store the day before it, per campaign. Fills ``ctx.summary``."""
    day = ctx.period_start - dt.timedelta(days=1)
    with session_scope() as s:
        account = get_account(s, ctx.account_id)
        if account is None:
            ctx.skip("account not found")
            return
        params: AnalyticsSnapshotParams = automation_config(account, AUTOMATION).params
        client = smartlead_for(account, lane="bulk")
        known = {
            t.campaign_id: rules.Known(t.status, t.first_day, t.last_day)
            for t in totals_of(s, account.id)
        }
    progress = Progress(ctx.run_id)
    calls: Counter[str] = Counter()
    details: dict[str, list[str]] = {"gone": [], "not_started": []}
    errors: dict[str, str] = {}
    try:
        listing = shared_listing(
            account, "campaigns", ctx.period_key, lambda: _list_campaigns(client, calls)
        )
        rows = rows_for_client(listing, account.smartlead_client_id)
        picks, absent = rules.campaigns_to_collect(rows, params, known, ctx.timezone)
        done = progress.done()
        todo = [p for p in picks if str(p.campaign_id) not in done]
        for pick in todo:
            counts = _one_campaign(ctx, client, pick, day, params, known, calls, details, errors)
            progress.add({**counts, **_drain(calls)}, pick.campaign_id)
    finally:
        progress.add(_drain(calls))
    ctx.summary.update(_summary(day, rows, picks, absent, details, errors, progress, ctx))
    ctx.summary["resumed_after"] = len(picks) - len(todo)  # stored by earlier attempts
    if not picks:
        ctx.skip("no campaigns to collect")


def _list_campaigns(client: SmartleadClient, calls: Counter[str]) -> list[dict[str, Any]]:
    """Every campaign of the key (all its clients: the listing is shared by their accounts)."""
    campaigns = smartlead.counted(calls, "list_campaigns", client.list_campaigns)
    return [c.model_dump(mode="json") for c in campaigns]


def _one_campaign(
    ctx: RunContext,
    client: SmartleadClient,
    pick: rules.Pick,
    day: dt.date,
    params: AnalyticsSnapshotParams,
    known: Mapping[str, rules.Known],
    calls: Counter[str],
    details: dict[str, list[str]],
    errors: dict[str, str],
) -> Counter[str]:
    cid = str(pick.campaign_id)
    prior = known.get(cid)
    window = rules.days_to_collect(day, prior, pick.created_on, params)
    if window is None:
        details["not_started"].append(cid)
        return Counter(not_started=1)
    try:
        got = smartlead.collect(
            client,
            pick.campaign_id,
            window.start,
            window.end,
            ctx.timezone,
            calls,
            params.max_window_days,
            params.cohort_days,
        )
    except NotFound:  # deleted since the listing
        details["gone"].append(cid)
        return Counter(gone=1)
    except Unauthorized:
        raise
    except PermanentError as exc:  # this campaign only; the next run reaches back for its days
        errors[cid] = exc.message
        audit.record(
            AUTOMATION,
            "collect_campaign",
            "failed",
            exc.message,
            account_id=ctx.account_id,
            subject=cid,
        )
        return Counter(failed=1)
    counts = Counter(collected=1, backfilled=int(window.backfill), **parse.notes(got.series))
    if ctx.dry_run:
        counts["days_would_write"] = len(got.days)
        return counts
    counts["days_written"], counts["cohort_days_updated"] = _store(
        ctx.account_id, pick, got, window, prior
    )
    log.info(
        "campaign_collected",
        account_id=ctx.account_id,
        campaign_id=cid,
        start=window.start.isoformat(),
        end=window.end.isoformat(),
        backfill=window.backfill,
        days=counts["days_written"],
    )
    return counts


def _store(
    account_id: int,
    pick: rules.Pick,
    got: smartlead.Collected,
    window: rules.Window,
    prior: rules.Known | None,
) -> tuple[int, int]:
    """Upsert the collected days and the re-read cohort replies of earlier stored days; then
    the totals. Returns (days written, earlier days whose ``replied_by_sent`` changed)."""
    cid = str(pick.campaign_id)
    with session_scope() as s:
        figures = got.days
        if not got.answered:
            # An answer with no row at all never replaces figures already stored.
            stored = days_between(s, account_id, window.start, window.end, cid).get(cid, {})
            figures = [f for f in figures if f.day not in stored]
        written = upsert_days(s, account_id, cid, figures)
        cohort = got.cohort
        earlier = (
            days_between(s, account_id, min(cohort), max(cohort), cid).get(cid, {})
            if cohort
            else {}
        )
        matured = [
            replace(f, replied_by_sent=cohort[d])
            for d, f in earlier.items()
            if f.replied_by_sent != cohort[d]
        ]
        upsert_days(s, account_id, cid, matured)
        first = min(d for d in (window.start, prior.first_day if prior else None) if d)
        last = max(d for d in (window.end, prior.last_day if prior else None) if d)
        stored_days = days_between(s, account_id, first, last, cid).get(cid, {})
        life, leads = got.lifetime, got.lifetime.campaign_lead_stats
        upsert_totals(
            s,
            account_id,
            cid,
            name=pick.name or life.name or "",
            status=pick.status or (life.status or "").upper(),
            sent=life.sent_count,
            opened=life.open_count,
            replied=life.reply_count,
            # The lifetime answer has no positive count: the stored days' sum, from first_day.
            positive_replied=sum(d.positive_replied for d in stored_days.values()),
            bounced=life.bounce_count,
            unsubscribed=life.unsubscribed_count,
            leads_total=leads.total,
            leads_not_started=leads.not_started,
            leads_in_progress=leads.inprogress,
            leads_completed=leads.completed,
            leads_blocked=leads.blocked,
            first_day=first,
            last_day=last,
        )
    return written, len(matured)


def _drain(calls: Counter[str]) -> dict[str, int]:
    out = {f"calls.{name}": n for name, n in calls.items() if n}
    calls.clear()
    return out


def _summary(
    day: dt.date,
    rows: list[dict[str, Any]],
    picks: list[rules.Pick],
    absent: list[str],
    details: dict[str, list[str]],
    errors: dict[str, str],
    progress: Progress,
    ctx: RunContext,
) -> dict[str, Any]:
    totals = progress.totals()
    by_endpoint = {k[6:]: v for k, v in sorted(totals.items()) if k.startswith("calls.")}
    summary: dict[str, Any] = {
        "day": day.isoformat(),
        "campaigns_listed": len(rows),
        "campaigns_selected": len(picks),
        "calls": sum(by_endpoint.values()),
        "calls_by_endpoint": by_endpoint,
        **{k: v for k, v in totals.items() if not k.startswith("calls.")},
    }
    named = {"configured_not_listed": absent, **{f"{k}_ids": v for k, v in details.items()}}
    for name, ids in named.items():
        if ids:
            summary[name] = ids[:MAX_LISTED_IDS]
    if errors:
        summary["errors"] = dict(list(errors.items())[:MAX_LISTED_IDS])
    if ctx.dry_run:
        summary["dry_run"] = True
    return summary
