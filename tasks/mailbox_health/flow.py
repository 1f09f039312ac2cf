"""One account's morning mailbox check (automation 7): ``check_mailboxes(ctx)``.

The scheduling mechanism (issue 11) calls it once per account and local day, after the
account's local due time (default 08:00). In order:

1. List the key's mailboxes once per key and morning (``listing``: ``shared_listing``, so the
   accounts of an agency sharing a key cost one listing, pages of 100 until a short page,
   resumable when the limiter defers the run mid-way) and keep this account's rows
   (``rows_for_client``: by ``client_id``, also while the API's own filter is unconfirmed).
2. Parse each mailbox (``parse``), ask the warm-up stats where reputation alone cannot decide
   (``warmup``, optional), judge it against yesterday's stored state (``rules``).
3. Store the day's state (upsert, so a re-run replaces it), with ``weak_since`` carried forward.
4. Optional remedy (``remedy``), then at most ONE Slack message for the morning, and only when
   something changed (or the account asked for a daily digest). A Redis claim per account and
   morning keeps a re-run or a retry from sending a second one.

Every step is safe to repeat: a task retried after a 5xx or deferred by the limiter runs it all
again and finds the listing, the warm-up answers and the alert claim where it left them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from tasks.mailbox_health import remedy, store, warmup
from tasks.mailbox_health.alert import AccountLabel, build_message
from tasks.mailbox_health.listing import LISTING, mailboxes_of_key
from tasks.mailbox_health.parse import MailboxReading, parse_mailbox
from tasks.mailbox_health.rules import Morning, Previous, Thresholds, morning
from workers import audit
from workers.accounts import automation_config, get_account
from workers.clients.factory import slack_for, smartlead_for
from workers.db import session_scope
from workers.logging import get_logger
from workers.models import Account
from workers.redis_client import redis_client
from workers.scheduling import RunContext, rows_for_client

AUTOMATION = "mailbox_health"
ALERT_CLAIM_TTL_SECONDS = 3 * 24 * 3600

log = get_logger("tasks.mailbox_health.flow")


@dataclass(frozen=True)
class _Loaded:
    account: Account
    params: Any
    previous: dict[str, Previous]
    stored_today: dict[str, dict[str, Any] | None]


def alert_claim_key(account_id: int, period_key: str) -> str:
    return f"leadops:mailbox_health:alerted:{account_id}:{period_key}"


def check_mailboxes(
    ctx: RunContext, *, smartlead: Any = None, slack: Any = None, redis: Any = None
) -> None:
    """The morning check of ``ctx.account_id`` for the local day ``ctx.period_start``.

    ``smartlead`` / ``slack`` / ``redis`` replace the account's real clients (tests)."""
    day = ctx.period_start
    loaded = _load(ctx.account_id, day)
    if loaded is None:
        ctx.skip("account missing or inactive")
        return
    account, params = loaded.account, loaded.params
    if not account.smartlead_api_key and smartlead is None:
        ctx.skip("no Smartlead API key")
        return
    r = redis if redis is not None else redis_client()
    sl = smartlead if smartlead is not None else smartlead_for(account, lane="bulk")
    try:
        readings, unreadable = _readings(ctx, account, sl, r)
        if not readings:
            ctx.skip("no mailboxes")
            return
        th = Thresholds.from_params(params)
        asked = warmup.fetch(
            sl,
            warmup.wanted(readings, th, loaded.previous),
            max_calls=params.warmup_stats_max_calls,
            redis=r,
            key=warmup.cache_key(account.id, ctx.period_key),
        )
        m = morning(readings, th, loaded.previous, day, asked.figures)
        outcomes, notes = _store_and_remedy(ctx, loaded, m, sl, asked.figures)
    finally:
        if smartlead is None:
            sl.close()
    alert = _alert(ctx, account, params, m, slack, r, notes)
    counts = m.counts()
    ctx.summary.update(
        {
            **counts,
            "alert": alert,
            "unreadable": unreadable,
            "warmup_stats": {
                "calls": asked.calls,
                "cached": asked.cached,
                "over_budget": asked.skipped,
            },
            "remedy": _remedy_counts(outcomes),
        }
    )
    audit.record(
        AUTOMATION,
        "check",
        "dry_run" if ctx.dry_run else "done",
        _reason(counts, alert),
        account_id=account.id,
        details={"day": day.isoformat(), **ctx.summary},
    )


def _load(account_id: int, day: dt.date) -> _Loaded | None:
    with session_scope() as s:
        account = get_account(s, account_id)
        if account is None or not account.active:
            return None
        params = automation_config(account, AUTOMATION).params
        previous = store.load_previous(s, account.id, day)
        stored_today = {
            mid: store.previous_of(row).remedy
            for mid, row in store.load_day(s, account.id, day).items()
        }
        return _Loaded(account, params, previous, stored_today)


def _readings(
    ctx: RunContext, account: Account, sl: Any, r: Any
) -> tuple[list[MailboxReading], int]:
    rows = mailboxes_of_key(account, ctx.period_key, sl, r)
    readings, unreadable = [], 0
    for row in rows_for_client(rows, account.smartlead_client_id):
        try:
            readings.append(parse_mailbox(row))
        except ValidationError:
            unreadable += 1  # e.g. a row without an id: counted, never fatal
    if unreadable:
        log.info("mailbox_rows_unreadable", account_id=account.id, count=unreadable)
    return readings, unreadable


def _store_and_remedy(
    ctx: RunContext, loaded: _Loaded, m: Morning, sl: Any, figures: dict[str, Any]
) -> tuple[list[remedy.Outcome], dict[str, str]]:
    """Store the day's rows (remedy records first), then make the remedy's calls."""
    params, account_id, day = loaded.params, loaded.account.id, ctx.period_start
    mode = params.remedy
    dry = ctx.dry_run or mode == "dry_run"
    ids = [v.reading.id for v in m.verdicts]
    current = remedy.current_records(ids, loaded.previous, loaded.stored_today)
    steps = remedy.plan(m, current, mode=mode, conditions=params.remedy_conditions, day=day)
    records = {mid: current.get(mid) for mid in ids}
    records.update(remedy.records_to_store(steps, dry_run=dry, current=current))
    values = []
    for v in m.verdicts:
        extra = {"warmup_stats": figures[v.reading.id].as_json()} if v.reading.id in figures else {}
        values.append(
            (v.reading.id, store.row_values(v, remedy=records.get(v.reading.id), extra=extra))
        )
    with session_scope() as s:
        store.upsert_day(s, account_id, day, values)

    def done(mailbox_id: str, record: dict[str, Any] | None) -> None:
        with session_scope() as s:
            store.set_remedy(s, account_id, day, mailbox_id, record)

    outcomes = remedy.execute(sl, steps, dry_run=dry, day=day, on_done=done)
    for o in outcomes:
        audit.record(
            AUTOMATION,
            f"remedy_{o.action}",
            o.outcome,
            o.reason or f"max_email_per_day -> {o.limit}",
            account_id=account_id,
            subject=o.email,
            details={
                "mailbox_id": o.mailbox_id,
                "limit": o.limit,
                "unsure_endpoint": remedy.UNSURE,
            },
        )
    return outcomes, remedy.notes_for_alert(outcomes, current, day)


def _alert(
    ctx: RunContext,
    account: Account,
    params: Any,
    m: Morning,
    slack: Any,
    r: Any,
    notes: dict[str, str],
) -> str:
    """What became of the morning's message: sent | none | dry_run | already_sent |
    no_slack_webhook."""
    if not m.should_alert(params.daily_digest):
        return "none"
    label = AccountLabel(account.name, account.slug)
    message = build_message(label, ctx.period_start, m, digest=params.daily_digest, notes=notes)
    if ctx.dry_run:
        log.info("mailbox_alert_dry_run", account_id=account.id, text=message["text"])
        return "dry_run"
    if slack is None and not account.slack_webhook_url:
        return "no_slack_webhook"
    claim = alert_claim_key(account.id, ctx.period_key)
    # At most one message per morning: claim first; give the claim back if the post fails, so
    # the task's retry can send it. (A worker killed mid-post may lose that morning's message.)
    if not r.set(claim, "1", nx=True, ex=ALERT_CLAIM_TTL_SECONDS):
        return "already_sent"
    client = slack if slack is not None else slack_for(account)
    try:
        client.post(message["text"], message["blocks"])
    except BaseException:
        r.delete(claim)
        raise
    finally:
        if slack is None:
            client.close()
    return "sent"


def _remedy_counts(outcomes: list[remedy.Outcome]) -> dict[str, int]:
    out: dict[str, int] = {}
    for o in outcomes:
        name = f"{o.action}_{o.outcome}"
        out[name] = out.get(name, 0) + 1
    return out


def _reason(counts: dict[str, int], alert: str) -> str:
    return (
        f"{counts['mailboxes']} mailboxes, {counts['weak']} weak: {counts['new_weak']} newly "
        f"weak, {counts['worse']} worse, {counts['recovered']} recovered; alert {alert}"
    )


__all__ = ["AUTOMATION", "LISTING", "alert_claim_key", "check_mailboxes"]
