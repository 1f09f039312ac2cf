"""`leadops runs` (the record of scheduled runs) and `leadops run CHECK --account A` (run a check
now for one account, through the same claim, record and task as Beat's ticks)."""

from __future__ import annotations

import datetime as dt
import importlib
import re
import time

import typer
from rich.table import Table
from sqlalchemy import select

from ops.cli import CliError, console
from workers.accounts import get_account_by_slug
from workers.db import session_scope
from workers.models import Account
from workers.scheduling.records import TERMINAL_STATES, ScheduledRun

_RELATIVE = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def load_checks() -> dict[str, object]:
    """Import every task module so each automation registers its scheduled check."""
    from workers.celery_app import TASK_MODULES
    from workers.scheduling import registered_checks

    for module in TASK_MODULES:
        importlib.import_module(module)
    return dict(registered_checks())


def parse_since(value: str, now: dt.datetime | None = None) -> dt.datetime:
    """ "2h", "3d", "30m", "1w", an ISO date or date-time (UTC when no offset)."""
    now = now or dt.datetime.now(dt.UTC)
    text = value.strip().lower()
    m = _RELATIVE.match(text)
    if m:
        return now - dt.timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise CliError(
            f"--since {value!r}: use 30m, 2h, 3d, 1w, or an ISO date like 2026-12-01"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _account_id(slug: str) -> int:
    with session_scope() as s:
        account = get_account_by_slug(s, slug)
        if account is None:
            raise CliError(f"no account {slug!r} (see `leadops accounts list`)")
        return account.id


def _when(value: dt.datetime | None) -> str:
    if value is None:
        return "-"
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _summary(run: ScheduledRun) -> str:
    if run.state == "failed":
        return run.error[:80]
    if run.state == "skipped":
        return run.reason[:80]
    text = ", ".join(f"{k}={v}" for k, v in (run.summary or {}).items())
    return text[:80] + ("..." if len(text) > 80 else "")


def runs(
    check: str = typer.Option(None, "--check", help="Only this check (e.g. mailbox_health)."),
    account: str = typer.Option(None, "--account", help="Only this account (slug)."),
    since: str = typer.Option(None, "--since", help="30m, 2h, 3d, 1w or an ISO date/time."),
    state: str = typer.Option(None, "--state", help="queued|running|done|skipped|failed"),
    limit: int = typer.Option(50, "--limit", min=1, max=10000),
) -> None:
    """Scheduled runs, newest first."""
    query = select(ScheduledRun, Account.slug).join(Account, Account.id == ScheduledRun.account_id)
    if check:
        query = query.where(ScheduledRun.check_name == check)
    if account:
        query = query.where(ScheduledRun.account_id == _account_id(account))
    if since:
        query = query.where(ScheduledRun.created_at >= parse_since(since))
    if state:
        query = query.where(ScheduledRun.state == state)
    table = Table(
        "id", "check", "account", "period", "state", "trigger", "created (UTC)", "took", "summary"
    )
    with session_scope() as s:
        rows = s.execute(query.order_by(ScheduledRun.id.desc()).limit(limit)).tuples().all()
        for run, slug in rows:
            took = "-"
            if run.started_at and run.finished_at:
                took = f"{(run.finished_at - run.started_at).total_seconds():.1f}s"
            label = run.period_key + (f" #{run.seq} forced" if run.forced else "")
            trigger = run.trigger + (" dry-run" if run.dry_run else "")
            table.add_row(
                str(run.id),
                run.check_name,
                slug,
                label,
                run.state,
                trigger,
                _when(run.created_at),
                took,
                _summary(run),
            )
    console.print(table)
    if not rows:
        console.print("no runs match")


def run(
    check: str = typer.Argument(..., help="The check's name (see `leadops accounts show`)."),
    account: str = typer.Option(..., "--account", help="Account slug."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Decide and report, change nothing."),
    force: bool = typer.Option(
        False, "--force", help="Run even if the period already ran (recorded as forced)."
    ),
    wait: float = typer.Option(120.0, "--wait", help="Seconds to wait for the result (0: no)."),
) -> None:
    """Run a check now for one account: claim + record + the check's task on a worker."""
    from workers.scheduling.manual import AlreadyRan, request_run

    checks = load_checks()
    if check not in checks:
        raise CliError(f"no scheduled check {check!r}; registered: {', '.join(sorted(checks))}")
    try:
        req = request_run(check, _account_id(account), force=force, dry_run=dry_run)
    except AlreadyRan as exc:
        raise CliError(str(exc)) from None
    label = f"run {req.run_id} ({check}, {account}, period {req.period_key}"
    console.print(label + (f", #{req.seq} forced)" if force else ")") + " queued")
    if wait <= 0:
        return
    from workers.celery_app import app

    if not app.control.ping(timeout=1.0):
        console.print("[yellow]no worker answered: it runs when a worker consumes 'scheduled'")
        return
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        with session_scope() as s:
            row = s.get(ScheduledRun, req.run_id)
            if row is not None and row.state in TERMINAL_STATES:
                colour = {"done": "green", "skipped": "yellow"}.get(row.state, "red")
                console.print(f"[{colour}]{row.state}[/{colour}] {_summary(row)}")
                console.print_json(data=row.summary or {})
                if row.state == "failed":
                    raise typer.Exit(1)
                return
        time.sleep(0.5)
    console.print(f"still running after {wait:g}s: see `leadops runs --check {check}`")


def register(app: typer.Typer) -> None:
    app.command(name="runs")(runs)
    app.command(name="run")(run)


__all__ = ["load_checks", "parse_since", "register"]
