"""The dispatcher's bulk statements on SQLite and PostgreSQL (same SQLAlchemy code, one JSON
parameter per insert): rows recorded once, timestamps intact, conflicts left out."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def test_a_tick_records_each_due_account_once_with_its_due_instant(
    any_db_url: str, fake_redis: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import workers.redis_client
    from workers.accounts import set_automation
    from workers.db import session_scope
    from workers.models import Account
    from workers.scheduling import ScheduledCheck, registry
    from workers.scheduling.dispatch import dispatch_check
    from workers.scheduling.records import NewRun, ScheduledRun, insert_runs, stale_open_runs

    monkeypatch.setattr(workers.redis_client, "redis_client", lambda: fake_redis)
    monkeypatch.setattr(registry, "_CHECKS", {})
    check = registry.register_check(ScheduledCheck(name="schedule_probe", task_name="t"))
    with session_scope() as s:
        for i, tz in enumerate(["Europe/Paris", "Asia/Tokyo", "America/New_York"]):
            account = Account(slug=f"a{i}", name="A", timezone=tz)
            s.add(account)
            s.flush()
            row = set_automation(s, account, check.name, params={"local_time": "07:30"})
            row.updated_at = NOW - dt.timedelta(days=3)
    sent: list[int] = []
    first = dispatch_check(check, NOW, send=lambda task, run_id, *a: sent.append(run_id))
    second = dispatch_check(check, NOW, send=lambda task, run_id, *a: sent.append(run_id))
    assert (first.enqueued, second.enqueued, second.already) == (3, 0, 3)
    with session_scope() as s:
        runs = {r.account_id: r for r in s.query(ScheduledRun).all()}
        assert sorted(sent) == sorted(r.id for r in runs.values())
        by_tz = {s.get(Account, a).timezone: r for a, r in runs.items()}  # type: ignore[union-attr]
        # Paris 07:30 = 06:30 UTC on 12-01; Tokyo 07:30 = 22:30 UTC on 11-30 (its 12-01);
        # New York (04:00 local now): its latest due is 11-30 07:30 EST = 12:30 UTC.
        assert _aware(by_tz["Europe/Paris"].due_at) == dt.datetime(
            2026, 12, 1, 6, 30, tzinfo=dt.UTC
        )  # type: ignore[arg-type]
        assert by_tz["Asia/Tokyo"].period_key == "2026-12-01"
        assert _aware(by_tz["Asia/Tokyo"].due_at) == dt.datetime(
            2026, 11, 30, 22, 30, tzinfo=dt.UTC
        )  # type: ignore[arg-type]
        assert by_tz["America/New_York"].period_key == "2026-11-30"
        assert all(r.state == "queued" and r.summary == {} and r.seq == 0 for r in runs.values())
        # The same rows again: the constraint leaves them out, nothing raised.
        again = insert_runs(
            s, check.name, [NewRun(a, r.period_key, NOW, "x") for a, r in runs.items()], NOW
        )
        assert again == []
        assert len(stale_open_runs(s, check.name, NOW + dt.timedelta(hours=2))) == 3
        assert stale_open_runs(s, check.name, NOW - dt.timedelta(seconds=1)) == []
