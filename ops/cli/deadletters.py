"""`leadops deadletters list | show ID | replay ID`: work that could not be done, and its reason."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from ops.cli import CliError, console

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_(
    status: str = typer.Option("open", help="open | replayed | all"),
    limit: int = typer.Option(50, min=1),
) -> None:
    """Dead letters, newest first."""
    from workers.dead_letters import list_dead_letters

    rows = list_dead_letters(None if status == "all" else status, limit=limit)
    table = Table("id", "created", "account", "task", "error", "attempts", "status", "reason")
    for d in rows:
        table.add_row(
            str(d.id),
            d.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            str(d.account_id or "-"),
            d.task_name,
            d.error_class,
            str(d.attempts),
            d.status,
            d.reason[:80],
        )
    console.print(table if rows else f"no {status} dead letters")


@app.command()
def show(dead_letter_id: int) -> None:
    """One dead letter with its stored payload (never a secret)."""
    from workers.db import session_scope
    from workers.models import DeadLetter

    with session_scope() as s:
        d = s.get(DeadLetter, dead_letter_id)
        if d is None:
            raise CliError(f"no dead letter {dead_letter_id}")
        console.print_json(
            json.dumps(
                {
                    "id": d.id,
                    "task": d.task_name,
                    "account_id": d.account_id,
                    "status": d.status,
                    "error_class": d.error_class,
                    "attempts": d.attempts,
                    "reason": d.reason,
                    "payload": d.payload,
                    "created_at": d.created_at.isoformat(),
                    "replayed_at": d.replayed_at.isoformat() if d.replayed_at else None,
                }
            )
        )


@app.command()
def replay(dead_letter_id: int) -> None:
    """Send the task again by name with its stored arguments; mark the letter replayed."""
    from workers.dead_letters import replay as replay_

    try:
        task_id = replay_(dead_letter_id)
    except (LookupError, ValueError) as exc:
        raise CliError(str(exc)) from None
    console.print(f"dead letter {dead_letter_id} replayed as task {task_id}")
