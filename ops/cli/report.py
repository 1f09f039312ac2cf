"""`leadops report ACCOUNT ... --out DIR | link ACCOUNT [--rotate] | publish ACCOUNT`.

- ``leadops report ACCOUNT [--from D --to D | --period last-30-days | --month 2026-11] --out DIR``
  writes one self-contained HTML page and a CSV of the same daily rows (``render`` is the
  default sub-command, so ``leadops report render ACCOUNT`` is the same).
- ``leadops report link ACCOUNT [--rotate]`` prints the client's link. Only the token's hash is
  stored, so a link is printed when a token is issued: the first call issues one; later calls
  say when the current link was issued and that ``--rotate`` issues a new one (the old link
  then stops working at once).
- ``leadops report publish ACCOUNT`` renders and stores the standard periods the link serves
  (what the snapshot does after each collection), from this process.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click
import typer
from typer.core import TyperGroup

from ops.cli import CliError, console
from workers.accounts import get_account_by_slug
from workers.db import session_scope
from workers.models import Account


class _DefaultRender(TyperGroup):
    """``leadops report ACCOUNT ...`` runs ``render``: the first word is an account, not a verb."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["render", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(cls=_DefaultRender, no_args_is_help=True)


def _account(session: Any, slug: str) -> Account:
    account = get_account_by_slug(session, slug)
    if account is None:
        raise CliError(f"no account {slug!r} (see `leadops accounts list`)")
    return account


def _date(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value is not None else None


@app.command("render")
def render(
    account: str = typer.Argument(..., help="The account's slug."),
    from_: dt.datetime | None = typer.Option(
        None, "--from", formats=["%Y-%m-%d"], help="First day (local), with --to."
    ),
    to: dt.datetime | None = typer.Option(None, "--to", formats=["%Y-%m-%d"], help="Last day."),
    period: str | None = typer.Option(None, "--period", help="last-30-days (the default)."),
    month: str | None = typer.Option(None, "--month", help="A calendar month, e.g. 2026-11."),
    out: Path = typer.Option(..., "--out", file_okay=False, help="Directory to write into."),
) -> None:
    """Write the report as one self-contained HTML file and a CSV of its daily rows."""
    from tasks.analytics_snapshot.report.periods import PeriodError, resolve
    from tasks.analytics_snapshot.report.publish import account_today, render_period

    with session_scope() as s:
        acct = _account(s, account)
        try:
            chosen = resolve(
                account_today(acct),
                period=period,
                month_spec=month,
                start=_date(from_),
                end=_date(to),
            )
        except PeriodError as exc:
            raise CliError(str(exc)) from None
        stem = f"{acct.slug}-{chosen.key}"
        rendered = render_period(s, acct, chosen, csv_href=f"{stem}.csv")
    out.mkdir(parents=True, exist_ok=True)
    html_path, csv_path = out / f"{stem}.html", out / f"{stem}.csv"
    html_path.write_text(rendered.html, encoding="utf-8")
    csv_path.write_text(rendered.csv, encoding="utf-8", newline="")
    r = rendered.report
    reply = r.rates[0].change.rate
    figures = (
        f"{r.counts.sent:,} sent, {r.counts.replies:,} replies"
        f" ({'-' if reply.percent is None else f'{reply.percent:.1f}%'}),"
        f" {r.days_collected}/{chosen.days} days collected"
        if r.state == "ok"
        else r.state.replace("_", " ")
    )
    console.print(
        f"[bold]{acct.slug}[/bold] {chosen.label} ({chosen.start} to {chosen.end}): {figures}"
    )
    console.print(f"html {html_path.resolve()}", soft_wrap=True, highlight=False)
    console.print(f"csv  {csv_path.resolve()}", soft_wrap=True, highlight=False)


@app.command("link")
def link(
    account: str = typer.Argument(..., help="The account's slug."),
    rotate: bool = typer.Option(
        False, "--rotate", help="Issue a new link; the current one stops working at once."
    ),
) -> None:
    """Print the client's report link (issued on first use; --rotate replaces it)."""
    from tasks.analytics_snapshot.report.links import ExistingLink, issue_link

    with session_scope() as s:
        acct = _account(s, account)
        result = issue_link(s, acct, rotate=rotate)
    if isinstance(result, ExistingLink):
        when = (result.rotated_at or result.created_at).strftime("%Y-%m-%d %H:%M UTC")
        console.print(
            f"{account} has a report link (issued {when}). Only its hash is stored, so it cannot "
            "be shown again: run with --rotate to issue a new one (the current link then stops "
            "working)."
        )
        return
    if result.rotated:
        console.print("[yellow]new link issued; the previous one no longer works[/yellow]")
    console.print(result.url, soft_wrap=True, highlight=False)


@app.command("publish")
def publish(account: str = typer.Argument(..., help="The account's slug.")) -> None:
    """Render and store the periods the link serves (last 30 days, this month, last month)."""
    from tasks.analytics_snapshot.report.publish import render_and_store

    with session_scope() as s:
        account_id = _account(s, account).id
    result = render_and_store(account_id)
    for p in result.get("periods", []):
        console.print(f"stored {p['period']}: {p['state'].replace('_', ' ')}")


def register(root: typer.Typer) -> None:
    root.add_typer(
        app,
        name="report",
        help="Client reports: `report ACCOUNT --out DIR` writes the page; `link` prints the link.",
    )
