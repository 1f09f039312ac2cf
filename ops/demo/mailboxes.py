"""Demo scenario for automation 7: three mornings of the mailbox check for a demo account whose
120 mailboxes live in the Smartlead sandbox. Morning 1 all healthy (no message), two mailboxes
turn weak overnight (one Slack message naming them, printed here), morning 3 no change (no
message). Run by ops/demo/run.py.

The check runs in this process with the RunContext the scheduling mechanism would build (local
date of the account as the period); on Redis and the database of the demo.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from rich.panel import Panel
from rich.text import Text

from ops.cli.mailboxes import show
from ops.demo.context import DemoContext, console
from tasks.mailbox_health.flow import check_mailboxes
from workers.accounts import set_automation
from workers.clients.errors import RateLimitDeferred
from workers.db import session_scope
from workers.models import Account
from workers.scheduling import RunContext

SLUG = "mailbox-demo"
KEY = "sl-demo-mailboxes"
TZ = "Europe/Paris"
MAILBOXES = 120
HOOK = f"T2/B2/{SLUG}"


def _setup(ctx: DemoContext) -> tuple[int, list[int]]:

    sl, sk = ctx.sandboxes["smartlead"], ctx.sandboxes["slack"]
    httpx.post(f"{sl}/admin/keys", json={"api_key": KEY}, timeout=10).raise_for_status()
    boxes = [
        {"email": f"sdr{i:03d}@northwind-mail.example", "reputation": f"{95 + i % 5}%"}
        for i in range(MAILBOXES)
    ]
    r = httpx.post(
        f"{sl}/admin/mailboxes/batch", json={"api_key": KEY, "mailboxes": boxes}, timeout=10
    )
    r.raise_for_status()
    with session_scope() as s:
        a = Account(
            slug=SLUG,
            name="Northwind Mail",
            timezone=TZ,
            smartlead_api_key=KEY,
            smartlead_base_url=f"{sl}/api/v1",
            slack_webhook_url=f"{sk}/services/{HOOK}",
        )
        s.add(a)
        s.flush()
        set_automation(s, a, "mailbox_health", params={"min_reputation_percent": 90})
        return a.id, list(r.json()["ids"])


def _morning(account_id: int, day: dt.date) -> Any:
    """One morning, re-run after a limiter deferral as the task would be."""

    for _ in range(5):
        run = RunContext(
            run_id=0,
            check="mailbox_health",
            account_id=account_id,
            period_key=day.isoformat(),
            period_start=day,
            period_end=day,
            timezone=TZ,
        )
        try:
            check_mailboxes(run)
            return run
        except RateLimitDeferred as exc:
            time.sleep(exc.retry_after + 0.05)
    raise RuntimeError("mailbox check deferred five times in a row")


def _messages(ctx: DemoContext) -> list[dict[str, Any]]:
    r = httpx.get(f"{ctx.sandboxes['slack']}/admin/messages", params={"path": HOOK}, timeout=10)
    return list(r.json()["messages"])


def _render(message: dict[str, Any]) -> Text:
    """The message as Slack shows it, roughly (plain text: no markup is interpreted)."""
    out = Text()
    out.append(f"{message['text']}\n\n", style="bold")
    for block in message.get("blocks") or []:
        if block.get("type") == "header":
            out.append(f"{block['text']['text']}\n", style="bold underline")
        elif "text" in block:
            out.append(f"{block['text']['text']}\n")
        for element in block.get("elements", []):
            out.append(f"{element['text']}\n", style="dim")
    return out


def scenario_mailbox_health(ctx: DemoContext) -> None:
    """Morning mailbox check: alert once when mailboxes turn weak, not every day."""

    console.rule("mailbox health: weak mailboxes alert Slack once, not every day")
    if not {"smartlead", "slack"} <= set(ctx.sandboxes):
        ctx.check("mailbox health", False, "sandboxes missing")
        return
    account_id, ids = _setup(ctx)
    today = dt.datetime.now(ZoneInfo(TZ)).date()
    days = [today - dt.timedelta(days=2), today - dt.timedelta(days=1), today]

    first = _morning(account_id, days[0])
    ctx.check(
        "morning 1: all healthy, no message",
        first.summary.get("mailboxes") == MAILBOXES and not _messages(ctx),
        f"{first.summary.get('mailboxes')} mailboxes over 2 pages, "
        f"alert {first.summary.get('alert')}",
    )

    sl = ctx.sandboxes["smartlead"]
    weak = {ids[7]: {"reputation": "58%"}, ids[101]: {"is_smtp_success": False}}
    for box_id, change in weak.items():
        httpx.post(f"{sl}/admin/mailboxes/{box_id}", json=change, timeout=10).raise_for_status()
    second = _morning(account_id, days[1])
    messages = _messages(ctx)
    named = messages and all(
        e in str(messages[0]["blocks"])
        for e in ("sdr007@northwind-mail.example", "sdr101@northwind-mail.example")
    )
    ctx.check(
        "morning 2: one message naming the two newly weak",
        len(messages) == 1 and bool(named),
        f"{second.summary.get('new_weak')} newly weak, {len(messages)} Slack message(s)",
    )
    if messages:
        console.print(Panel(_render(messages[0]), title="Slack message sent", expand=False))

    third = _morning(account_id, days[2])
    ctx.check(
        "morning 3: no change, no message",
        len(_messages(ctx)) == 1 and third.summary.get("alert") == "none",
        f"{third.summary.get('still_weak')} still weak, alert {third.summary.get('alert')}",
    )

    show(SLUG, None, True)
