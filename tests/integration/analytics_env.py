"""Set-up for the analytics snapshot integration tests (automation 4, collection): the
Smartlead sandbox over loopback, accounts in the test database, seeded per-day figures, and a
run of the check's work for one account and local day, exactly as the scheduling mechanism
will call it (``flow.snapshot_account(RunContext)``)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

TZ = "Europe/Paris"
FAST = [[1000, 1]]  # limits far above what a test sends: these tests count calls, not waits
_run_ids = itertools.count(1)


def figures_for(campaign_id: int, day: dt.date) -> dict[str, int]:
    """Distinct, deterministic figures per campaign and day (so a swapped day would show)."""
    n = day.toordinal() % 17 + campaign_id % 7
    return {
        "sent": 40 + n,
        "opened": 10 + n % 5,
        "replied": n % 4,
        "replied_by_sent": (n + 1) % 4,
        "positive_replied": n % 2,
        "bounced": n % 3,
        "unsubscribed": (n + 2) % 3 // 2,
    }


def days_back(end: dt.date, count: int) -> list[dt.date]:
    return [end - dt.timedelta(days=i) for i in range(count - 1, -1, -1)]


@dataclass
class AnalyticsSandbox:
    base: str

    @property
    def api(self) -> str:
        return self.base + "/api/v1"

    def admin(self, method: str, path: str, **kw: Any) -> Any:
        r = httpx.request(method, f"{self.base}/admin{path}", timeout=15, **kw)
        assert r.status_code == 200, r.text
        return r.json()

    def key(self, api_key: str, limits: list[list[float]] | None = None) -> None:
        self.admin("POST", "/keys", json={"api_key": api_key, "limits": limits or FAST})

    def campaign(
        self, api_key: str, name: str, status: str = "ACTIVE", client_id: int | None = None
    ) -> int:
        body = {"api_key": api_key, "name": name, "status": status, "client_id": client_id}
        return int(self.admin("POST", "/campaigns", json=body)["id"])

    def seed(self, campaign_id: int, days: list[dt.date], **fixed: int) -> dict[dt.date, dict]:
        """Seed each day with ``figures_for`` (or ``fixed`` figures); returns what was seeded."""
        seeded = {d: fixed or figures_for(campaign_id, d) for d in days}
        body = [{"date": d.isoformat(), **f} for d, f in seeded.items()]
        self.admin("POST", "/analytics/days", json={"campaign_id": campaign_id, "days": body})
        return seeded

    def settings(self, api_key: str, **values: Any) -> None:
        self.admin("POST", "/analytics/settings", json={"api_key": api_key, **values})

    def requests_of(self, api_key: str) -> int:
        from ops.sandbox.smartlead_state import key_hash

        stats = self.admin("GET", "/stats")["keys"].get(key_hash(api_key), {})
        return int(stats.get("requests", 0))

    def analytics_calls(self, api_key: str) -> dict[str, int]:
        return dict(self.admin("GET", "/analytics/calls", params={"api_key": api_key})["calls"])


@contextmanager
def analytics_sandbox() -> Iterator[AnalyticsSandbox]:
    from ops.sandbox import smartlead
    from ops.sandbox.serve import serve

    with serve(smartlead.create_app()) as base:
        yield AnalyticsSandbox(base)


def make_account(
    sb: AnalyticsSandbox,
    slug: str,
    api_key: str,
    *,
    client_id: int | None = None,
    params: dict[str, Any] | None = None,
    limits: list[list[float]] | None = None,
    timezone: str = TZ,
) -> int:
    from workers.accounts import set_automation
    from workers.db import session_scope
    from workers.models import Account

    with session_scope() as s:
        account = Account(
            slug=slug,
            name=slug.title(),
            timezone=timezone,
            smartlead_api_key=api_key,
            smartlead_base_url=sb.api,
            smartlead_client_id=client_id,
            rate_limit_plan="custom",
            rate_limits=limits or FAST,
        )
        s.add(account)
        s.flush()
        set_automation(s, account, "analytics_snapshot", params=params or {})
        return account.id


def set_limits(account_id: int, limits: list[list[float]]) -> None:
    from workers.db import session_scope
    from workers.models import Account

    with session_scope() as s:
        account = s.get(Account, account_id)
        assert account is not None
        account.rate_limits = limits


def run_snapshot(
    account_id: int,
    period_start: dt.date,
    *,
    run_id: int | None = None,
    timezone: str = TZ,
    dry_run: bool = False,
) -> Any:
    """One claimed run for the account's local day ``period_start`` (stores the day before)."""
    from tasks.analytics_snapshot import flow
    from workers.scheduling import RunContext

    ctx = RunContext(
        run_id=run_id if run_id is not None else next(_run_ids),
        check="analytics_snapshot",
        account_id=account_id,
        period_key=period_start.isoformat(),
        period_start=period_start,
        period_end=period_start,
        timezone=timezone,
        dry_run=dry_run,
    )
    flow.snapshot_account(ctx)
    return ctx


def stored(account_id: int, campaign_id: int | None = None) -> dict[str, dict[dt.date, dict]]:
    """Every stored day, by campaign id then date, as plain counts."""
    from workers.campaign_stats import days_between
    from workers.db import session_scope

    with session_scope() as s:
        found = days_between(
            s,
            account_id,
            dt.date(2000, 1, 1),
            dt.date(2100, 1, 1),
            None if campaign_id is None else str(campaign_id),
        )
    return {cid: {d: f.counts() for d, f in days.items()} for cid, days in found.items()}


def totals(account_id: int) -> dict[str, Any]:
    from workers.campaign_stats import totals_of
    from workers.db import session_scope

    with session_scope() as s:
        return {
            t.campaign_id: {
                c.name: getattr(t, c.name)
                for c in t.__table__.columns
                if c.name not in ("id", "account_id", "campaign_id", "updated_at")
            }
            for t in totals_of(s, account_id)
        }


def stored_row_count() -> int:
    from sqlalchemy import func, select

    from workers.campaign_stats import CampaignDay
    from workers.db import session_scope

    with session_scope() as s:
        return int(s.scalar(select(func.count()).select_from(CampaignDay)) or 0)
