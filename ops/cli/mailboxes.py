"""`leadops mailboxes ACCOUNT [--day YYYY-MM-DD] [--weak]`: an account's mailboxes as the morning
check (automation 7) last stored them: state, what is wrong, the figures, and since when."""

from __future__ import annotations

import datetime as dt

import typer
from rich.table import Table

from ops.cli import CliError, console
from tasks.mailbox_health.store import latest_day
from workers.accounts import get_account, get_account_by_slug
from workers.db import session_scope
from workers.mailbox_stats import MailboxDay, days_between


def _day(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CliError(f"--day must be YYYY-MM-DD (got {value!r})") from None


def _yes_no(ok: bool, unreported: bool) -> str:
    if unreported:
        return "[dim]?[/dim]"
    return "ok" if ok else "[red]failing[/red]"


def _warmup(row: MailboxDay) -> str:
    details = row.details or {}
    if not details.get("has_warmup", row.warmup_status is not None):
        return "[dim]none[/dim]"
    status = (row.warmup_status or "?").lower()
    return f"{status}, blocked" if details.get("warmup_blocked") else status


def _reasons(row: MailboxDay) -> str:
    details = row.details or {}
    texts = [p["text"] for p in details.get("problems", [])] or list(row.reasons or [])
    notes = [p["text"] for p in details.get("notes", []) if p.get("code") != "no_warmup"]
    out = "; ".join(texts)
    if notes:
        out += (" " if out else "") + f"[dim]({'; '.join(notes)})[/dim]"
    remedy = details.get("remedy") or {}
    limit, state = remedy.get("previous_limit"), remedy.get("state")
    said = {
        "paused": f"campaign sending paused by LeadOps (was {limit}/day)",
        "pending_pause": "pausing campaign sending (not confirmed yet)",
        "pending_restore": f"restoring the sending limit to {limit}/day (not confirmed yet)",
        "by_hand": "sending limit changed by hand while paused: left alone",
        "restored": f"sending limit restored to {limit}/day",
    }.get(str(state))
    if said:
        out += f" [yellow]{said}[/yellow]"
    return out or "-"


def show(
    account: str = typer.Argument(..., help="Account slug or id."),
    day: str | None = typer.Option(None, help="The morning to show (default: the latest)."),
    weak: bool = typer.Option(False, "--weak", help="Only the weak mailboxes."),
) -> None:
    """An account's mailboxes: weak or healthy, what is wrong, since when."""
    wanted = _day(day)
    with session_scope() as s:
        found = get_account_by_slug(s, account)
        if found is None and account.isdigit():
            found = get_account(s, int(account))
        if found is None:
            raise CliError(f"no account {account!r} (see `leadops accounts list`)")
        when = wanted or latest_day(s, found.id)
        if when is None:
            console.print(f"{found.name}: no mailbox check stored yet")
            return
        rows = days_between(s, found.id, when, when)
        name, slug = found.name, found.slug
    if not rows:
        console.print(f"{name}: no mailbox check stored for {when.isoformat()}")
        return
    weak_rows = [r for r in rows if r.weak]
    shown = weak_rows if weak else sorted(rows, key=lambda r: (not r.weak, r.email))
    table = Table(title=f"{name} ({slug}): mailboxes on {when.isoformat()}")
    table.add_column("mailbox", no_wrap=True)
    for column in ("state", "since", "what is wrong", "reputation", "SMTP", "IMAP", "warm-up"):
        table.add_column(column)
    table.add_column("sent / limit", no_wrap=True)
    for r in shown:
        details = r.details or {}
        unreported = set(details.get("unreported", []))
        since = r.weak_since if r.weak else details.get("since")
        table.add_row(
            r.email,
            "[red]weak[/red]" if r.weak else "[green]healthy[/green]",
            str(since or "-"),
            _reasons(r),
            f"{r.reputation:g}%" if r.reputation is not None else "[dim]unknown[/dim]",
            _yes_no(r.smtp_ok, "smtp" in unreported),
            _yes_no(r.imap_ok, "imap" in unreported),
            _warmup(r),
            f"{r.sent_today} / {r.daily_limit}",
        )
    console.print(table)
    console.print(f"{len(rows)} mailboxes, {len(weak_rows)} weak")


def register(root: typer.Typer) -> None:
    root.command("mailboxes", help="An account's mailboxes: state and since when.")(show)
