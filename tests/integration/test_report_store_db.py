"""Migration 0004 creates exactly the report tables the models describe, and stored reports and
link hashes round-trip on SQLite and PostgreSQL through the same code."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from workers.db import get_engine, session_scope
from workers.models import Account, Base
from workers.report_store import (
    issue_token,
    link_state,
    report_for_link,
    store_report,
    stored_period_keys,
    token_matches,
)

pytestmark = pytest.mark.integration
REPORT_TABLES = {"client_reports", "report_links"}


def _tables_in(diff: object) -> set[str]:
    found: set[str] = set()
    stack = [diff]
    while stack:
        item = stack.pop()
        if isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, str):
            found.add(item)  # table names in ("modify_type", schema, table, column, ...)
        elif hasattr(item, "name") and hasattr(item, "columns"):  # a Table
            found.add(item.name)
        elif hasattr(item, "table") and getattr(item, "table", None) is not None:
            found.add(item.table.name)
    return found


def test_migrated_report_tables_match_the_models(any_db_url: str) -> None:
    import workers.report_store  # noqa: F401  (its tables join the metadata)

    with get_engine().connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert not (_tables_in(diff) & REPORT_TABLES), diff


def test_reports_and_link_hashes_round_trip(any_db_url: str) -> None:
    with session_scope() as s:
        account = Account(slug="acme", name="Acme")
        s.add(account)
        s.flush()
        store_report(s, account.id, "last-30-days", "<p>one</p>", "date\r\n")
        store_report(s, account.id, "last-30-days", "<p>two</p>", "date\r\n")  # replaces
        store_report(s, account.id, "2026-11", "<p>nov</p>")
        first = issue_token(s, account.id)
        second = issue_token(s, account.id)
        account_id = account.id
    with session_scope() as s:
        assert stored_period_keys(s, account_id) == ["2026-11", "last-30-days"]
        assert report_for_link(s, "acme", second, "last-30-days") == ("<p>two</p>", "date\r\n")
        assert report_for_link(s, "acme", first, "last-30-days") is None
        assert not token_matches(s, None, second)
        state = link_state(s, account_id)
        assert state is not None and state.rotated_at is not None
    with pytest.raises(ValueError, match="period key"), session_scope() as s:
        store_report(s, account_id, "../etc", "")


def test_rendering_and_storing_the_standard_periods_runs_on_both_databases(
    any_db_url: str,
) -> None:
    import datetime as dt

    from tasks.analytics_snapshot.report.publish import render_and_store
    from tests.report_seed import create_account, seed_days, seed_mailboxes

    now = dt.datetime(2026, 12, 15, 8, 0, tzinfo=dt.UTC)
    with session_scope() as s:
        account_id = create_account(s, "northwind")
        seed_days(s, account_id, dt.date(2026, 12, 14), 45)
        seed_mailboxes(s, account_id, dt.date(2026, 12, 14), 10)
    result = render_and_store(account_id, now=now)
    assert [p["period"] for p in result["periods"]] == ["last-30-days", "2026-12", "2026-11"]
    assert {p["state"] for p in result["periods"]} == {"ok"}
    with session_scope() as s:
        assert stored_period_keys(s, account_id) == ["2026-11", "2026-12", "last-30-days"]
