"""`leadops send-days ACCOUNT [--campaign C] [--json]`: each campaign's weekday table (sent and
replies by send date over the lookback, in the campaign's own zone) and what the send-days check
would do now. Reads each campaign once from Smartlead (its schedule); writes nothing."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from ops.cli import CliError, console


def send_days(
    account: str = typer.Argument(..., help="Account slug."),
    campaign: str = typer.Option(None, "--campaign", "-c", help="Only this campaign id."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Weekday reply table per campaign and the send-days decision, without changing anything."""
    from ops.cli.roles import _require_redis
    from tasks.send_days.preview import preview
    from workers.accounts import get_account_by_slug
    from workers.clients.errors import ApiError, RateLimitDeferred
    from workers.db import session_scope

    _require_redis()
    with session_scope() as s:
        found = get_account_by_slug(s, account)
    if found is None:
        raise CliError(f"no account {account!r} (see `leadops accounts list`)")
    try:
        rule, evaluations = preview(found, campaign_id=campaign)
    except RateLimitDeferred as exc:
        raise CliError(f"Smartlead key busy: try again in {exc.retry_after:.1f}s") from None
    except ApiError as exc:
        raise CliError(f"Smartlead: {exc.message}") from None
    if as_json:
        console.print_json(json.dumps({e.campaign_id: e.as_json() for e in evaluations}))
        return
    if not evaluations:
        console.print(f"{account}: no active campaign in the stored figures")
        return
    console.print(
        f"[bold]{found.name}[/bold]: last {rule.lookback_days} days, replies by send date; a "
        f"weekday is judged from {rule.min_sent_per_weekday} sends; keep at least "
        f"{rule.keep_days} days; confidence {rule.confidence:g}"
    )
    for ev in evaluations:
        table = Table(
            "weekday", "days", "sent", "replies", "rate", "scheduled", "judged",
            title=f"{ev.name} (#{ev.campaign_id}) {ev.zone}",
        )  # fmt: skip
        for row in ev.rows:
            rate = f"{row.rate_percent:.2f}%" if row.rate_percent is not None else "-"
            table.add_row(
                row.as_json()["name"],
                str(row.days),
                f"{row.sent:,}",
                f"{row.replied:,}",
                rate,
                "yes" if row.scheduled else "",
                "yes" if row.judged else "",
            )
        if ev.rows:
            console.print(table)
        else:
            console.print(f"[bold]{ev.name} (#{ev.campaign_id})[/bold]")
        verdict = {
            "change": "[green]would narrow[/green]",
            "kept": "keeps its days",
            "no_decision": "no decision",
        }.get(ev.outcome, f"left alone ({ev.outcome})")
        console.print(f"  {verdict}: {ev.summary_line() if ev.after else ev.reason}")
        for note in ev.notes:
            console.print(f"  note: {note}")


def register(root: typer.Typer) -> None:
    root.command("send-days")(send_days)
