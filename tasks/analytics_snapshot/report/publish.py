"""Render a report for a period, and render + store the standard periods for the link.

``render_and_store(account_id)`` is what the snapshot calls after each collection (directly, in
the same task, or through ``tasks.analytics_snapshot.render_reports``): the gateway serves only
what is stored here, so a link shows the figures as of the last render.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from tasks.analytics_snapshot.report.csv import render_csv
from tasks.analytics_snapshot.report.data import Report, build_report
from tasks.analytics_snapshot.report.logo import embedded_logo
from tasks.analytics_snapshot.report.periods import Period, local_today, standard_periods
from tasks.analytics_snapshot.report.render import Branding, NavLink, render_html
from tasks.analytics_snapshot.report.source import load_inputs, params_of, thresholds_of
from workers import audit, report_store
from workers.accounts import get_account
from workers.db import session_scope
from workers.logging import get_logger
from workers.models import Account

log = get_logger("tasks.analytics_snapshot.report")


@dataclass(frozen=True)
class Rendered:
    period: Period
    report: Report
    html: str
    csv: str


def branding_of(account: Account, *, logo: str | None = None) -> Branding:
    """The account's branding; ``logo`` is an already embedded logo (fetched once per run)."""
    params = params_of(account)
    return Branding(
        brand_name=params.brand_name.strip(),
        logo_data_uri=logo if logo is not None else embedded_logo(params.brand_logo),
        accent=params.accent_color,
    )


def render_period(
    session: Session,
    account: Account,
    period: Period,
    *,
    branding: Branding | None = None,
    now: dt.datetime | None = None,
    nav: list[NavLink] | None = None,
    csv_href: str | None = None,
) -> Rendered:
    inputs = load_inputs(session, account, period)
    report = build_report(inputs, thresholds_of(params_of(account)))
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo(account.timezone or "UTC"))
    html = render_html(
        report,
        branding or branding_of(account),
        generated_at=moment,
        timezone=account.timezone or "UTC",
        nav=nav,
        csv_href=csv_href,
    )
    return Rendered(period, report, html, render_csv(inputs.days, inputs.campaigns))


def account_today(account: Account, now: dt.datetime | None = None) -> dt.date:
    return local_today(account.timezone or "UTC", now)


def render_and_store(
    account_id: int, *, now: dt.datetime | None = None, task_id: str | None = None
) -> dict[str, Any]:
    """Render last-30-days, this month (once it has a complete day) and last month; store each.

    Re-running replaces what was stored (one row per account and period key).
    """
    with session_scope() as session:
        account = get_account(session, account_id)
        if account is None:
            return {"account_id": account_id, "outcome": "skipped", "reason": "no such account"}
        periods = standard_periods(account_today(account, now))
        nav = [NavLink(p.key, p.label) for p in periods]
        branding = branding_of(account)  # the logo is fetched once for every period
        stored = []
        for period in periods:
            out = render_period(
                session,
                account,
                period,
                branding=branding,
                now=now,
                nav=nav,
                csv_href=f"?period={period.key}&format=csv",
            )
            report_store.store_report(session, account.id, period.key, out.html, out.csv)
            stored.append({"period": period.key, "state": out.report.state})
        audit.record(
            "analytics_snapshot",
            "render_reports",
            "done",
            f"{len(stored)} report period(s) stored",
            account_id=account.id,
            details={"periods": stored},
            task_id=task_id,
            session=session,
        )
    log.info("reports_rendered", account_id=account_id, periods=[p["period"] for p in stored])
    return {"account_id": account_id, "outcome": "done", "periods": stored}
