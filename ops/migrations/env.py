"""Alembic environment: the URL comes from LeadOps settings (or the caller's config)."""

from __future__ import annotations

from alembic import context

from tasks.onboarding import models as onboarding_models  # noqa: F401
from workers import campaign_stats, mailbox_stats  # noqa: F401  (their tables join the metadata)
from workers.db import make_engine
from workers.models import Base
from workers.settings import get_settings

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().resolved_database_url()


def run_migrations_offline() -> None:
    context.configure(
        url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(_url())
    with engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
