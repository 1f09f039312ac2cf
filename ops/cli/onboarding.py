"""`leadops onboard ACCOUNT ...` (automation 8) and `leadops onboarding list | show | resume`.

`onboard` records a run and enqueues it for the workers, then waits and prints each step with
its result; `--dry-run` walks the same steps in this process, writing nothing, and prints the
exact Smartlead calls it would make, in order, with their bodies (secrets redacted).
"""

from __future__ import annotations

import time

import typer
from rich.table import Table

from ops.cli import CliError, console
from tasks.onboarding.saga import TERMINAL_STATES, RunView, describe
from workers.accounts import get_account_by_slug
from workers.db import session_scope

app = typer.Typer(no_args_is_help=True, help="Onboarding runs (automation 8): list, show, resume.")


def register(root: typer.Typer) -> None:
    root.command("onboard")(onboard)
    root.add_typer(app, name="onboarding")


def _account_id(slug: str, what: str) -> int:
    with session_scope() as s:
        account = get_account_by_slug(s, slug)
        if account is None:
            raise CliError(f"no {what} {slug!r} (see `leadops accounts list`)")
        return account.id


def _ids(text: str | None) -> list[int]:
    if not text:
        return []
    try:
        return [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        raise CliError(f"--mailboxes must be ids separated by commas, not {text!r}") from None


def print_run(run: RunView) -> None:
    title = f"run {run.id} ({run.key}): {run.state}"
    if run.campaign_id is not None:
        title += f", campaign {run.campaign_id}"
    if run.cleanup:
        title += f", cleanup {run.cleanup}"
    table = Table("step", "state", "result", title=title)
    colour = {"done": "green", "skipped": "dim", "failed": "red", "running": "yellow"}
    for name, state, detail in describe(run):
        table.add_row(name, f"[{colour.get(state, 'white')}]{state}[/]", detail)
    console.print(table)
    if run.error:
        console.print(f"[red]error:[/red] {run.error}")


def onboard(
    account: str = typer.Argument(..., help="Slug of the account to onboard."),
    template_account: str = typer.Option(..., help="Slug of the account owning the template."),
    template_campaign: int = typer.Option(..., help="Smartlead id of the template campaign."),
    name: str = typer.Option(..., help="Name of the new campaign (unique under the key)."),
    mailboxes: str = typer.Option(None, help="Mailbox ids of the account's key: 1,2,3."),
    start: bool = typer.Option(False, "--start", help="Start the campaign once complete."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the calls; write nothing."),
    keep_partial: bool = typer.Option(
        False, "--keep-partial", help="On failure keep the half-made campaign."
    ),
    wait: bool = typer.Option(True, help="Wait for the run and print its steps."),
    timeout: float = typer.Option(300.0, help="How long --wait waits (seconds)."),
) -> None:
    """Clone a template campaign for a client account, as a resumable saga."""
    target_id = _account_id(account, "account")
    template_id = _account_id(template_account, "template account")
    request = {
        "account_id": target_id,
        "template_account_id": template_id,
        "template_campaign_id": template_campaign,
        "name": name,
        "mailbox_ids": _ids(mailboxes),
        "start": start,
        "keep_partial": keep_partial,
    }
    if dry_run:
        _dry_run(request)
        return
    from tasks.onboarding.store import RunConflict, create_run, find_run
    from tasks.onboarding.tasks import ADVANCE
    from workers.celery_app import app as celery

    try:
        run, _ = create_run(**request)
    except RunConflict as exc:
        raise CliError(str(exc)) from None
    celery.send_task(ADVANCE, kwargs={"run_id": run.id})
    console.print(f"onboarding run {run.id} ({run.key}) queued")
    if not wait:
        return
    deadline = time.monotonic() + timeout
    while run.state not in TERMINAL_STATES and time.monotonic() < deadline:
        time.sleep(0.5)
        run = find_run(run.id) or run
    print_run(run)
    if run.state not in TERMINAL_STATES:
        console.print(f"still running: is a worker up? `leadops onboarding show {run.id}`")
        raise typer.Exit(1)
    if run.state != "succeeded":
        raise typer.Exit(1)


def _dry_run(request: dict[str, object]) -> None:
    from tasks.onboarding.dryrun import dry_run

    result = dry_run(**request)
    console.rule("calls, in order (api_key in every query string: not shown)")
    for i, call in enumerate(result.calls, start=1):
        console.print(f"{i:>2}. {call.render()}", markup=False, highlight=False)
    if result.leadops:
        console.rule("LeadOps changes")
        for line in result.leadops:
            console.print(f"- {line}", markup=False)
    print_run(result.run)
    if result.run.state != "succeeded":
        raise typer.Exit(1)


@app.command("list")
def list_(
    account: str = typer.Option(None, "--account", "-a", help="Only this account's runs."),
    limit: int = typer.Option(50, min=1),
) -> None:
    """Onboarding runs, newest first."""
    from tasks.onboarding.store import list_runs

    account_id = _account_id(account, "account") if account else None
    runs = list_runs(account_id, limit=limit)
    table = Table("id", "run", "account", "name", "state", "step", "campaign", "cleanup")
    for r in runs:
        table.add_row(
            str(r.id),
            r.key,
            str(r.account_id),
            r.name,
            r.state,
            r.step or "-",
            str(r.campaign_id or "-"),
            r.cleanup or "-",
        )
    console.print(table if runs else "no onboarding runs")


@app.command()
def show(run: str = typer.Argument(..., help="Run id or key.")) -> None:
    """One run with each step, its state and what it produced."""
    from tasks.onboarding.store import find_run

    found = find_run(run)
    if found is None:
        raise CliError(f"no onboarding run {run!r} (see `leadops onboarding list`)")
    print_run(found)


@app.command()
def resume(run: str = typer.Argument(..., help="Run id or key.")) -> None:
    """Enqueue an unfinished run again (a worker also does this by itself once a lease lapses)."""
    from tasks.onboarding.store import find_run
    from tasks.onboarding.tasks import ADVANCE
    from workers.celery_app import app as celery

    found = find_run(run)
    if found is None:
        raise CliError(f"no onboarding run {run!r}")
    if found.state in TERMINAL_STATES:
        raise CliError(f"run {found.id} is {found.state}: nothing to resume")
    celery.send_task(ADVANCE, kwargs={"run_id": found.id})
    console.print(f"run {found.id} enqueued")
