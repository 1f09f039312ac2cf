"""The analytics demo step (ops/demo/analytics.py) against the sandbox: it seeds 30 days, runs
the snapshot, and its own checks pass; the stored figures are there for the report step."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest

pytestmark = pytest.mark.integration


@dataclass
class _Ctx:
    sandboxes: dict[str, str]
    results: list[tuple[str, bool, str]] = field(default_factory=list)

    def check(self, name: str, ok: bool, detail: str) -> None:
        self.results.append((name, ok, detail))


def test_demo_step_seeds_30_days_collects_them_and_reports_its_checks(
    redis_url: str, db_url: str
) -> None:
    from ops.demo.analytics import CAMPAIGNS, DAYS, DEMO_ACCOUNT, scenario_analytics
    from ops.sandbox import smartlead
    from ops.sandbox.serve import serve
    from workers.accounts import get_account_by_slug
    from workers.campaign_stats import totals_of
    from workers.db import session_scope

    with serve(smartlead.create_app()) as base:
        ctx = _Ctx({"smartlead": base})
        scenario_analytics(ctx)  # type: ignore[arg-type]

    assert [(name, ok) for name, ok, _ in ctx.results] == [
        ("campaign figures stored", True),
        ("API calls per campaign", True),
    ], ctx.results
    with session_scope() as s:
        account = get_account_by_slug(s, DEMO_ACCOUNT)
        assert account is not None
        rows = totals_of(s, account.id)
        assert sorted(t.name for t in rows) == sorted(name for name, _, _ in CAMPAIGNS)
        assert all(t.last_day - t.first_day == dt.timedelta(days=DAYS - 1) for t in rows)
        assert {t.status for t in rows} == {"ACTIVE", "PAUSED"}
