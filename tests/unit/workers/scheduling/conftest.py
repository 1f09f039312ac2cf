"""Scheduling unit fixtures: a migrated SQLite database, fakeredis as the process's Redis, test
checks in the registry, accounts with a check enabled, and an in-process 'worker' that runs
each enqueued run through ``run_scheduled`` at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from workers.scheduling import RunContext, ScheduledCheck


@pytest.fixture
def fake_r(fake_redis: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    import workers.redis_client

    monkeypatch.setattr(workers.redis_client, "redis_client", lambda: fake_redis)
    return fake_redis


@pytest.fixture
def sched(db_url: str, fake_r: Any, monkeypatch: pytest.MonkeyPatch) -> Sched:
    from workers.scheduling import registry

    monkeypatch.setattr(registry, "_CHECKS", {})
    return Sched(fake_r)


class FakeTask:
    """What run_scheduled reads from a bound Celery task."""

    def __init__(self, retries: int = 0, max_retries: int | None = 5, direct: bool = False):
        self.max_retries = max_retries
        self.request = SimpleNamespace(
            id="task-1", retries=retries, called_directly=direct, headers={}
        )


@dataclass
class Sched:
    redis: Any
    sent: list[tuple[str, int, str, float, float]] = field(default_factory=list)
    executed: list[tuple[RunContext, dt.datetime]] = field(default_factory=list)

    def check(self, name: str = "schedule_probe", **kw: Any) -> ScheduledCheck:
        from workers.scheduling import register_check

        # The same declaration as tasks/schedule_probe/tasks.py: importing it later is harmless.
        task = f"tasks.{name}.check_account"
        return register_check(ScheduledCheck(name=name, task_name=task, **kw))

    def account(
        self,
        slug: str,
        timezone: str,
        check: str = "schedule_probe",
        params: dict[str, Any] | None = None,
        enabled: bool = True,
        dry_run: bool = False,
    ) -> int:
        from workers.accounts import set_automation
        from workers.db import session_scope
        from workers.models import Account

        with session_scope() as s:
            account = Account(slug=slug, name=slug, timezone=timezone)
            s.add(account)
            s.flush()
            set_automation(s, account, check, enabled=enabled, dry_run=dry_run, params=params or {})
            return account.id

    def collect(self, task: str, run_id: int, task_id: str, countdown: float, exp: float) -> None:
        self.sent.append((task, run_id, task_id, countdown, exp))

    def worker(self, work: Callable[[RunContext], None] | None = None) -> Any:
        """A sender that executes every run at once, as a worker would."""
        from workers.scheduling import run_scheduled

        def record(ctx: RunContext) -> None:
            self.executed.append((ctx, dt.datetime.now(dt.UTC)))
            ctx.summary["seen"] = True

        def send(task: str, run_id: int, task_id: str, countdown: float, exp: float) -> None:
            self.collect(task, run_id, task_id, countdown, exp)
            run_scheduled(FakeTask(), run_id, work or record)

        return send

    def runs(self) -> list[Any]:
        from sqlalchemy import select

        from workers.db import session_scope
        from workers.scheduling.records import ScheduledRun

        with session_scope() as s:
            return list(s.scalars(select(ScheduledRun).order_by(ScheduledRun.id)))
