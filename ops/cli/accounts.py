"""`leadops accounts add | list | show | import | export`. Secrets are never printed unless
`export --include-secrets` is asked for."""

from __future__ import annotations

from pathlib import Path

import typer
import yaml
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from ops.accounts_io import AccountSpec, ImportError_, account_to_dict, load_specs, upsert_account
from ops.cli import CliError, console
from workers.accounts import get_account_by_slug
from workers.db import session_scope
from workers.models import Account

app = typer.Typer(no_args_is_help=True)


@app.command()
def add(
    slug: str,
    name: str = typer.Option(..., help="Display name."),
    timezone: str = typer.Option("UTC"),
    smartlead_api_key: str = typer.Option(
        None, envvar="LEADOPS_NEW_SMARTLEAD_API_KEY", help="Or set LEADOPS_NEW_SMARTLEAD_API_KEY."
    ),
    smartlead_base_url: str = typer.Option(None),
    rate_limit_plan: str = typer.Option("default"),
    hubspot_token: str = typer.Option(None, envvar="LEADOPS_NEW_HUBSPOT_TOKEN"),
    slack_webhook_url: str = typer.Option(None, envvar="LEADOPS_NEW_SLACK_WEBHOOK_URL"),
    group: str = typer.Option(None, help="Agency group name."),
) -> None:
    """Add (or update) one client account."""
    from pydantic import ValidationError

    try:
        spec = AccountSpec(
            slug=slug,
            name=name,
            timezone=timezone,
            group_name=group,
            smartlead_api_key=smartlead_api_key,
            smartlead_base_url=smartlead_base_url,
            rate_limit_plan=rate_limit_plan,
            hubspot_token=hubspot_token,
            slack_webhook_url=slack_webhook_url,
        )
    except ValidationError as exc:
        e = exc.errors()[0]
        raise CliError(f"{'.'.join(map(str, e['loc']))}: {e['msg']}") from None
    with session_scope() as session:
        account = upsert_account(session, spec)
        console.print(f"account [bold]{account.slug}[/bold] saved (id {account.id})")


@app.command("list")
def list_() -> None:
    """List accounts (no secrets: only whether each is set)."""
    table = Table(
        "id", "slug", "name", "timezone", "plan", "smartlead key", "hubspot", "slack", "automations"
    )
    with session_scope() as session:
        for a in session.scalars(select(Account).order_by(Account.id)):
            table.add_row(
                str(a.id),
                a.slug,
                a.name,
                a.timezone,
                a.rate_limit_plan,
                "set" if a.smartlead_api_key else "-",
                "set" if a.hubspot_token else "-",
                "set" if a.slack_webhook_url else "-",
                ", ".join(s.automation for s in a.automations if s.enabled) or "-",
            )
    console.print(table)


@app.command()
def show(slug: str) -> None:
    """Show one account (secrets masked)."""
    with session_scope() as session:
        account = get_account_by_slug(session, slug)
        if account is None:
            raise CliError(f"no account {slug!r}")
        console.print_json(data=account_to_dict(account))
        console.print(_schedule_table(session, account))


def _schedule_table(session: Session, account: Account) -> Table:
    """Each registered check's next local due time for the account."""
    import datetime as dt

    from ops.cli.runs import load_checks
    from workers.accounts import automation_config
    from workers.scheduling import registered_checks
    from workers.scheduling.due import effective_local_time, next_slot, zone
    from workers.scheduling.records import ScheduledRun

    load_checks()
    now = dt.datetime.now(dt.UTC)
    tz = zone(account.timezone or "UTC")
    table = Table("check", "enabled", "local time", "period", "next due (local)", "(UTC)", "last")
    for name, check in sorted(registered_checks().items()):
        config = automation_config(account, name)
        local_time = effective_local_time(check, config.params)
        rows = session.execute(
            select(ScheduledRun.period_key, ScheduledRun.state)
            .where(ScheduledRun.check_name == name, ScheduledRun.account_id == account.id)
            .order_by(ScheduledRun.id.desc())
            .limit(20)
        ).all()
        slot = next_slot(check, local_time, tz, now, claimed={p for p, _ in rows})
        when = now if slot.due_at <= now else slot.due_at
        local = when.astimezone(tz).strftime("%a %Y-%m-%d %H:%M:%S %Z")
        table.add_row(
            name,
            ("yes" if config.enabled else "no") + (" (dry run)" if config.dry_run else ""),
            local_time.strftime("%H:%M:%S") if local_time.second else local_time.strftime("%H:%M"),
            slot.period_key,
            ("now (due, not run) " if slot.due_at <= now else "") + local,
            when.strftime("%Y-%m-%d %H:%M"),
            f"{rows[0][0]} {rows[0][1]}" if rows else "-",
        )
    return table


@app.command("import")
def import_(path: Path) -> None:
    """Import accounts from a YAML file: all of them, or none if any entry is wrong."""
    try:
        specs = load_specs(path)
    except ImportError_ as exc:
        raise CliError(str(exc)) from None
    with session_scope() as session:
        for spec in specs:
            upsert_account(session, spec)
    console.print(f"imported {len(specs)} account(s) from {path}")


@app.command()
def export(
    include_secrets: bool = typer.Option(
        False, "--include-secrets", help="Print secrets in clear (for a migration)."
    ),
) -> None:
    """Export all accounts as YAML (secrets masked unless --include-secrets)."""
    with session_scope() as session:
        accounts = [
            account_to_dict(a, include_secrets=include_secrets)
            for a in session.scalars(select(Account).order_by(Account.id))
        ]
    typer.echo(yaml.safe_dump({"accounts": accounts}, sort_keys=False))
