"""Demo scenarios for automations 2 and 9: a campaign whose reply rate stays low is paused, a
low-volume one is left alone, and a campaign whose Thursdays and Fridays get no replies has its
send days narrowed, with every other schedule field kept. Prints the numbers behind each.

The per-day figures are written into the store automation 4 fills; the checks run in this
process through their flow functions (the scheduling mechanism of issue 11 calls the same
functions from its per-account task). Run by ops/demo/run.py.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from rich.table import Table

from ops.demo.context import DemoContext, console
from tasks.reply_guard.flow import guard_account
from tasks.send_days.flow import narrow_account
from workers.accounts import get_account_by_slug, set_automation
from workers.campaign_stats import DayFigures, upsert_days, upsert_totals
from workers.clients.errors import RateLimitDeferred
from workers.db import session_scope
from workers.models import Account
from workers.scheduling import RunContext

SLUG = "guard-demo"
KEY = "sl-demo-guard-9f3k"
TZ = "Europe/Paris"
SLACK_PATH = "T3/B3/guard-demo"
LOW = (400, 1)  # per day: sent, replies by send date (0.25%)
SMALL = (30, 0)
WEEKDAYS = {1: (100, 4), 2: (100, 4), 3: (100, 4), 4: (100, 0), 5: (100, 0)}  # 0 = Sunday
SCHEDULE = {
    "timezone": TZ,
    "days_of_the_week": [1, 2, 3, 4, 5],
    "start_hour": "9",  # as an old campaign holds it
    "end_hour": "17:30",
    "min_time_btw_emails": 8,
    "max_new_leads_per_day": 60,
}


def _account(ctx: DemoContext) -> int:

    sl = ctx.sandboxes["smartlead"]
    httpx.post(f"{sl}/admin/keys", json={"api_key": KEY}, timeout=10).raise_for_status()
    with session_scope() as s:
        a = Account(
            slug=SLUG,
            name="Guard demo client",
            timezone=TZ,
            smartlead_api_key=KEY,
            smartlead_base_url=f"{sl}/api/v1",
            slack_webhook_url=f"{ctx.sandboxes['slack']}/services/{SLACK_PATH}",
        )
        s.add(a)
        s.flush()
        set_automation(s, a, "reply_guard", params={"threshold_percent": 1.0, "days": 3})
        set_automation(s, a, "send_days", params={"keep_days": 3})
        return a.id


def _account_id(ctx: DemoContext) -> int:

    with session_scope() as s:
        found = get_account_by_slug(s, SLUG)
        if found is not None:
            return found.id
    return _account(ctx)


def _campaign(
    ctx: DemoContext, account_id: int, name: str, days: dict[dt.date, tuple[int, int]]
) -> str:

    body = {"api_key": KEY, "name": name, "status": "ACTIVE"}
    cid = str(
        httpx.post(f"{ctx.sandboxes['smartlead']}/admin/campaigns", json=body, timeout=10).json()[
            "id"
        ]
    )
    with session_scope() as s:
        upsert_totals(s, account_id, cid, name=name, status="ACTIVE")
        upsert_days(
            s,
            account_id,
            cid,
            [DayFigures(d, sent=a, replied_by_sent=b, replied=b) for d, (a, b) in days.items()],
        )
    return cid


def _run(check: str, work: Callable[[Any], None], account_id: int, today: dt.date) -> Any:
    """One run as the scheduled task would make it (a busy Slack webhook: run again after the
    wait, as ApiTask re-sends a deferred task)."""

    for _ in range(10):
        ctx = RunContext(0, check, account_id, today.isoformat(), today, today, TZ)
        try:
            work(ctx)
            return ctx
        except RateLimitDeferred as exc:
            time.sleep(exc.retry_after)
    raise RuntimeError(f"{check}: still deferred")


def _admin(ctx: DemoContext, path: str, **params: Any) -> Any:
    r = httpx.get(f"{ctx.sandboxes['smartlead']}/admin{path}", params=params, timeout=10)
    r.raise_for_status()
    return r.json()


def _slack(ctx: DemoContext, words: str) -> str:
    r = httpx.get(
        f"{ctx.sandboxes['slack']}/admin/messages", params={"path": SLACK_PATH}, timeout=10
    )
    for m in r.json()["messages"]:
        text = " ".join(
            [m.get("text") or ""]
            + [(b.get("text") or {}).get("text", "") for b in m.get("blocks") or []]
        )
        if words in text:
            return text
    return ""


def scenario_reply_guard(ctx: DemoContext) -> None:
    """A campaign at 0.25% for three days is paused (one status call); a 30-a-day one is not."""

    console.rule("reply guard: pause a campaign whose reply rate stays low")
    account_id = _account_id(ctx)
    today = dt.datetime.now(ZoneInfo(TZ)).date()
    past = [today - dt.timedelta(days=i) for i in range(5, 0, -1)]
    low = _campaign(ctx, account_id, "Demo: tired list", {d: LOW for d in past})
    small = _campaign(ctx, account_id, "Demo: small test", {d: SMALL for d in past})

    run = _run("reply_guard", guard_account, account_id, today)
    item, other = run.summary["campaigns"][low], run.summary["campaigns"][small]
    table = Table("day", "sent", "replies (by send date)", "counted", title="Demo: tired list")
    for row in item["days"]:
        table.add_row(
            row["day"],
            str(row["sent"]),
            str(row["replied"]),
            "yes" if row["counted"] else row["note"],
        )
    console.print(table)
    console.print(f"  decision: {item['reason']}")
    console.print(f"  small test: {other['reason']}")
    calls = _admin(ctx, f"/campaigns/{low}/writes", call="status")["writes"]
    status = _admin(ctx, f"/campaigns/{low}")["status"]
    ctx.check(
        "reply guard paused the low campaign",
        item["outcome"] == "paused" and status == "PAUSED" and len(calls) == 1,
        f"{item['replied_by_send_date']}/{item['sent']} = {item['rate_percent']}% < "
        f"{item['threshold_percent']}% over {item['window'][0]}..{item['window'][1]}; "
        f"status {status}, {len(calls)} status call",
    )
    untouched = _admin(ctx, f"/campaigns/{small}/writes")["writes"] == []
    ctx.check(
        "low-volume campaign left alone",
        other["outcome"] == "no_decision" and untouched,
        other["reason"],
    )
    said = _slack(ctx, "Demo: tired list")
    ctx.check("Slack told with the numbers", "0.25%" in said, said[:160] or "no message")


def scenario_send_days(ctx: DemoContext) -> None:
    """Four weeks of 4% on Mon-Wed and 0% on Thu-Fri: Thu and Fri are dropped, nothing else in
    the schedule changes."""

    console.rule("send days: narrow a schedule to the weekdays that get replies")
    account_id = _account_id(ctx)
    today = dt.datetime.now(ZoneInfo(TZ)).date()
    past = [today - dt.timedelta(days=i) for i in range(28, 0, -1)]
    days = {d: WEEKDAYS[d.isoweekday() % 7] for d in past if d.isoweekday() % 7 in WEEKDAYS}
    cid = _campaign(ctx, account_id, "Demo: weekday test", days)
    httpx.post(
        f"{ctx.sandboxes['smartlead']}/admin/campaigns/{cid}/person/schedule",
        json=SCHEDULE,
        timeout=10,
    ).raise_for_status()

    run = _run("send_days", narrow_account, account_id, today)
    item = run.summary["campaigns"][cid]
    table = Table(
        "weekday", "sent", "replies", "rate", "judged", title="Demo: weekday test (Europe/Paris)"
    )
    for w in item["weekdays"]:
        rate = f"{w['rate_percent']:.2f}%" if w["rate_percent"] is not None else "-"
        table.add_row(
            w["name"], str(w["sent"]), str(w["replied"]), rate, "yes" if w["judged"] else ""
        )
    console.print(table)
    console.print(f"  decision: {item['reason']}")
    console.print(f"  before: {item['schedule_before']}")
    console.print(f"  after:  {item['schedule_after']}")
    for note in item["notes"]:
        console.print(f"  read quirk fixed: {note}")
    writes = _admin(ctx, f"/campaigns/{cid}/writes", call="schedule")["writes"]
    expected = {**SCHEDULE, "start_hour": "09:00", "days_of_the_week": [1, 2, 3]}
    written = writes[0]["body"]["days_of_the_week"] if writes else "?"
    ctx.check(
        "send days narrowed, other fields kept",
        item["outcome"] == "changed" and [w["body"] for w in writes] == [expected],
        f"days {SCHEDULE['days_of_the_week']} -> {written}; "
        f"{len(writes)} schedule call, all six fields sent",
    )
