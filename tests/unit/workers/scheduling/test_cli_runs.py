"""`leadops runs`, `leadops run` and the schedule table of `leadops accounts show`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from typer.testing import CliRunner

from tests.unit.workers.scheduling.conftest import Sched


@pytest.fixture
def cli(sched: Sched, monkeypatch: pytest.MonkeyPatch) -> Any:
    from ops.cli import app
    from workers.scheduling import dispatch

    sent: list[tuple[Any, ...]] = []
    monkeypatch.setattr(
        dispatch, "celery_sender", lambda: (lambda *a: sent.append(a), lambda: None)
    )
    monkeypatch.setenv("COLUMNS", "220")  # rich tables unwrapped
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args)), sent


def test_run_records_a_manual_run_and_refuses_a_second_without_force(cli: Any, sched: Sched):  # type: ignore[no-untyped-def]
    from ops.cli import CliError

    invoke, sent = cli
    sched.check()
    sched.account("acme", "Europe/Paris")
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        first = invoke("run", "schedule_probe", "--account", "acme", "--wait", "0", "--dry-run")
        assert first.exit_code == 0 and "period 2026-12-01" in first.output
        again = invoke("run", "schedule_probe", "--account", "acme", "--wait", "0")
        assert isinstance(again.exception, CliError) and "--force" in str(again.exception)
        forced = invoke("run", "schedule_probe", "--account", "acme", "--wait", "0", "--force")
        assert forced.exit_code == 0 and "#1 forced" in forced.output
    assert len(sent) == 2 and [r.seq for r in sched.runs()] == [0, 1]
    listing = invoke("runs", "--check", "schedule_probe", "--account", "acme")
    assert "forced" in listing.output and "dry-run" in listing.output
    lines = [line for line in listing.output.splitlines() if "schedule_probe" in line]
    assert lines[0].split()[1] == "2"  # newest first
    unknown = invoke("run", "nope", "--account", "acme", "--wait", "0")
    assert isinstance(unknown.exception, CliError) and "schedule_probe" in str(unknown.exception)


def test_runs_since_filters_and_rejects_a_bad_value(cli: Any, sched: Sched):  # type: ignore[no-untyped-def]
    from ops.cli import CliError
    from ops.cli.runs import parse_since

    now = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    assert parse_since("2h", now) == dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
    assert parse_since("2026-11-30", now) == dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    with pytest.raises(CliError, match="--since"):
        parse_since("yesterday", now)


def test_accounts_show_lists_each_checks_next_local_due_time(cli: Any, sched: Sched):  # type: ignore[no-untyped-def]
    invoke, _ = cli
    sched.check()
    sched.account("tokyo", "Asia/Tokyo", params={"local_time": "07:15"})
    with time_machine.travel(dt.datetime(2026, 12, 1, 23, 0, tzinfo=dt.UTC), tick=False):
        out = invoke("accounts", "show", "tokyo").output
    # 23:00 UTC = 08:00 on 12-02 in Tokyo: today's 07:15 passed and has not run: due now.
    row = next(line for line in out.splitlines() if "schedule_probe" in line and "│" in line)
    assert "2026-12-02" in row and "now" in row and "07:15" in row
