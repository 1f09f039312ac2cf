"""`leadops db upgrade | current`."""

from __future__ import annotations

import typer

from ops import migrate
from ops.cli import console
from workers.settings import get_settings

app = typer.Typer(no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations up to REVISION (default: head)."""
    url = get_settings().resolved_database_url()
    migrate.upgrade(url, revision)
    current, head = migrate.current_and_head(url)
    console.print(f"database at revision [bold]{current}[/bold] (head {head})")


@app.command()
def current() -> None:
    """Show the database's revision and the code's head."""
    cur, head = migrate.current_and_head(get_settings().resolved_database_url())
    console.print(f"current {cur}, head {head}")
