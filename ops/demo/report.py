"""Demo scenario for automation 4's report: a worker renders and stores the client report of an
account whose figures are in the store, the client's link opens it through the gateway (a wrong
token does not), and the self-contained HTML file is written; prints its path and the link.

Runs after the collection's demo step, which stores 30 days for its demo account. Run alone
(or before that step exists), it seeds 30 days for its own demo account straight into the
store, the way the collection writes them, and says so. Run by ops/demo/run.py.
"""

from __future__ import annotations

import datetime as dt
import random

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ops.demo.context import DemoContext, console
from tasks.analytics_snapshot.report.links import IssuedLink, issue_link
from tasks.analytics_snapshot.report.periods import last_days, local_today
from tasks.analytics_snapshot.report.publish import account_today, render_period
from tasks.analytics_snapshot.report.tasks import RENDER_REPORTS
from workers.accounts import automation_config, set_automation
from workers.campaign_stats import CampaignDay, DayFigures, upsert_days, upsert_totals
from workers.celery_app import app
from workers.db import session_scope
from workers.models import Account

SLUG = "report-demo"
BRANDING = {"brand_name": "Brightline Growth", "accent_color": "#0f766e"}
CAMPAIGNS = (("9101", "Q4 CFO outreach", "ACTIVE"), ("9102", "Ops leaders EU", "PAUSED"))


def _account_with_figures(session: Session) -> int | None:

    row = session.execute(
        select(CampaignDay.account_id, func.count())
        .group_by(CampaignDay.account_id)
        .order_by(func.count().desc())
        .limit(1)
    ).first()
    return int(row[0]) if row else None


def _seed_demo_account(session: Session) -> int:
    """30 local days for two campaigns, written as the collection writes them."""

    account = Account(slug=SLUG, name="Northwind Traders (demo)", timezone="Europe/Paris")
    session.add(account)
    session.flush()
    rng = random.Random(4)
    yesterday = local_today(account.timezone) - dt.timedelta(days=1)
    for campaign_id, name, status in CAMPAIGNS:
        days = []
        for back in range(30):
            day = yesterday - dt.timedelta(days=back)
            sent = rng.randint(80, 160) if day.weekday() < 5 else rng.randint(0, 6)
            replies = sum(rng.random() < 0.04 for _ in range(sent))
            days.append(
                DayFigures(
                    day=day,
                    sent=sent,
                    opened=sent // 3,
                    replied=replies,
                    replied_by_sent=replies,
                    positive_replied=sum(rng.random() < 0.4 for _ in range(replies)),
                    bounced=sum(rng.random() < 0.015 for _ in range(sent)),
                    unsubscribed=sum(rng.random() < 0.004 for _ in range(sent)),
                )
            )
        upsert_days(session, account.id, campaign_id, days)
        upsert_totals(session, account.id, campaign_id, name=name, status=status)
    return account.id


def scenario_report(ctx: DemoContext) -> None:
    """Render + store through a worker, open the link through the gateway, write the file."""

    console.rule("client report: rendered by a worker, served at the client's link")
    with session_scope() as s:
        account_id = _account_with_figures(s)
        seeded = account_id is None
        if account_id is None:
            account_id = _seed_demo_account(s)
        account = s.get(Account, account_id)
        assert account is not None
        config = automation_config(account, "analytics_snapshot")
        if not config.params.brand_name:  # brand it, keeping what the collection configured
            params = {**config.params.model_dump(), **BRANDING}
            set_automation(s, account, "analytics_snapshot", enabled=config.enabled, params=params)
        slug = account.slug
    source = "seeded by this step (no collected figures yet)" if seeded else "collected"
    console.print(f"account {slug}: figures {source}")

    result = app.send_task(RENDER_REPORTS, kwargs={"account_id": account_id}).get(timeout=60)
    stored = ", ".join(f"{p['period']} ({p['state']})" for p in result.get("periods", []))
    ctx.check("reports rendered by a worker", result.get("outcome") == "done", stored)

    with session_scope() as s:
        account = s.get(Account, account_id)
        assert account is not None
        link = issue_link(s, account, rotate=True)
        period = last_days(account_today(account))
        out = render_period(s, account, period, csv_href=f"{slug}-{period.key}.csv")
    assert isinstance(link, IssuedLink)
    out_dir = ctx.settings.var_path / "reports"
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / f"{slug}-{period.key}.html"
    html_path.write_text(out.html, encoding="utf-8")
    (out_dir / f"{slug}-{period.key}.csv").write_text(out.csv, encoding="utf-8", newline="")

    page = httpx.get(link.url, timeout=10)
    wrong = httpx.get(link.url[:-4] + "AAAA", timeout=10)
    ctx.check(
        "client link opens the report",
        page.status_code == 200 and "leadops" not in page.text.lower() and wrong.status_code == 404,
        f"{page.status_code} ({len(page.content):,} bytes, no-store: "
        f"{'no-store' in page.headers.get('cache-control', '')}); wrong token {wrong.status_code}",
    )
    r = out.report
    ctx.check(
        "report file written",
        html_path.exists() and r.state == "ok",
        f"{r.counts.sent:,} sent, {r.counts.replies:,} replies, "
        f"{len(r.campaigns)} campaign(s), {len(r.warnings)} warning(s)",
    )
    console.print(f"report file: {html_path}", soft_wrap=True, highlight=False)
    console.print(f"client link: {link.url}", soft_wrap=True, highlight=False)
