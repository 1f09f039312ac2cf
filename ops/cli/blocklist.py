"""`leadops blocklist add EMAIL|DOMAIN [--scope ...] | list`: the agency block list by hand.

`add` records the entry (LeadOps' own intake refuses it at once) and pushes it to the Smartlead
block list of every account in the scope, one task per account through that account's limiter
(or in this process with `--now`). Adding an entry again pushes only to accounts that lack it.
"""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from ops.cli import CliError, console
from tasks.blocklist.flow import enqueue_pushes, push_one, request_block, target_accounts
from workers import audit
from workers.blocklist import list_blocks, normalise
from workers.db import session_scope

app = typer.Typer(no_args_is_help=True)


def _scope(value: str) -> str:
    if value == "all" or value.startswith(("account:", "group:")) and value.split(":", 1)[1]:
        return value
    raise CliError(f"--scope must be all, account:SLUG or group:NAME (got {value!r})")


@app.command()
def add(
    value: str = typer.Argument(..., help="An email address or a domain (acme.io or @acme.io)."),
    scope: str = typer.Option("all", help="all | account:SLUG | group:NAME"),
    reason: str = typer.Option("added by hand", help="Why (kept with the entry)."),
    now: bool = typer.Option(False, "--now", help="Push from this process instead of workers."),
) -> None:
    """Block an address or domain in every Smartlead account of the scope."""
    scope = _scope(scope)
    with session_scope() as s:
        try:
            plan = request_block(s, value, reason=reason, source=None, scope=scope)
        except ValueError as exc:
            raise CliError(str(exc)) from None
        nothing_to_push = not plan.pending_account_ids and not plan.new_account_ids
        if scope != "all" and nothing_to_push and not target_accounts(s, scope, None):
            raise CliError(f"no active account with a Smartlead key in scope {scope!r}")
        audit.record(
            "blocklist",
            "block",
            "done",
            reason,
            subject=plan.value,
            details={"trigger": "cli", "scope": scope, "new_accounts": plan.new_account_ids},
            session=s,
        )
    state = "new" if plan.created else "already listed"
    console.print(
        f"[bold]{plan.value}[/bold] ({normalise(value)[0]}, {state}): "
        f"{len(plan.new_account_ids)} account(s) to push, "
        f"{len(plan.pending_account_ids)} not yet done"
    )
    if not plan.pending_account_ids:
        return
    if not now:
        n = enqueue_pushes(plan.blocked_id, plan.pending_account_ids)
        console.print(f"queued {n} push task(s) (tasks.blocklist.push_to_account)")
        return
    from workers.clients.errors import ApiError, RateLimitDeferred
    from workers.clients.factory import smartlead_for

    for account_id in plan.pending_account_ids:
        try:
            out = push_one(plan.blocked_id, account_id, client_for=smartlead_for)
            console.print(f"account {account_id}: {out['outcome']} {out.get('reason', '')}")
        except RateLimitDeferred as exc:
            console.print(
                f"account {account_id}: [yellow]rate limited[/yellow], retry in "
                f"{exc.retry_after:.1f}s (left pending)"
            )
        except ApiError as exc:
            console.print(f"account {account_id}: [red]failed[/red] {escape(exc.message)}")


@app.command("list")
def list_(limit: int = typer.Option(200, help="Most recent entries first.")) -> None:
    """Block-list entries and each account's push outcome."""
    with session_scope() as s:
        rows = list_blocks(s, limit=limit)
    table = Table("id", "entry", "kind", "scope", "source", "reason", "pushes", "added")
    for r in rows:
        pushes = ", ".join(f"{slug}:{status}" for slug, status in r["pushes"].items()) or "-"
        added = r["created_at"].strftime("%Y-%m-%d %H:%M") if r["created_at"] else ""
        table.add_row(
            str(r["id"]),
            r["value"],
            r["kind"],
            r["scope"],
            r["source"] or "-",
            r["reason"][:60],
            pushes,
            added,
        )
    console.print(table)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="blocklist", help="Agency block list: add (all accounts), list.")
