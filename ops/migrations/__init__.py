"""Alembic migrations. ``MODEL_MODULES`` names every module that defines tables, so that
autogenerate (and the schema drift test) sees the whole schema, the runtime's and each
automation's own."""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

MODEL_MODULES = (
    "workers.models",
    "workers.campaign_stats",
    "workers.mailbox_stats",
    "workers.report_store",
    "workers.scheduling.records",
    "tasks.reply_guard.models",
    "tasks.send_days.models",
    "tasks.onboarding.models",
)


def target_metadata() -> MetaData:
    """The metadata of every table LeadOps defines."""
    for name in MODEL_MODULES:
        importlib.import_module(name)
    from workers.models import Base

    return Base.metadata
