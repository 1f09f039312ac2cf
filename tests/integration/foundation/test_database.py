"""Migrations and the models work the same on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


def test_migrated_schema_round_trips_accounts_and_settings(any_db_url) -> None:
    from ops.migrate import current_and_head
    from workers.accounts import automation_config, get_account_by_slug, set_automation
    from workers.db import session_scope
    from workers.models import Account, AuditLog

    current, head = current_and_head(any_db_url)
    assert current == head is not None
    with session_scope() as s:
        acc = Account(
            slug="acme",
            name="Acme",
            smartlead_api_key="k-123456",
            webhook_secrets={"clay": "c-123456"},
        )
        s.add(acc)
        s.flush()
        set_automation(s, acc, "clay_intake", params={"default_campaign_id": "7"})
        s.add(
            AuditLog(
                account_id=acc.id,
                automation="clay_intake",
                action="x",
                outcome="done",
                details={"n": 1},
            )
        )
    with session_scope() as s:
        acc = get_account_by_slug(s, "acme")
        assert acc is not None and acc.smartlead_api_key == "k-123456"
        cfg = automation_config(acc, "clay_intake")
        assert cfg.enabled and cfg.params.default_campaign_id == "7"
        assert cfg.params.chunk_size == 100
        assert not automation_config(acc, "reply_guard").enabled


def test_invalid_automation_params_are_refused(any_db_url) -> None:
    from pydantic import ValidationError

    from workers.accounts import set_automation
    from workers.db import session_scope
    from workers.models import Account

    with pytest.raises(ValidationError), session_scope() as s:
        acc = Account(slug="x", name="X")
        s.add(acc)
        s.flush()
        set_automation(s, acc, "reply_guard", params={"threshold_percent": 250})


def test_migrations_create_exactly_the_tables_the_models_define(any_db_url) -> None:
    """A model changed without a migration (or a migration without its model) is drift."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from ops.migrations import target_metadata
    from workers.db import make_engine

    engine = make_engine(any_db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), target_metadata())
    finally:
        engine.dispose()
    assert diff == []
