"""The `leadops` command (typer + rich). Each command group lives in its own module."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

app = typer.Typer(
    help="LeadOps: cold-email automations on Celery workers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


class CliError(Exception):
    """A one-line explanation for the operator, and a non-zero exit."""


def _register() -> None:
    from ops.cli import accounts, db, doctor, roles, sandbox

    roles.register(app)
    app.add_typer(accounts.app, name="accounts", help="Client accounts of the agency.")
    app.add_typer(db.app, name="db", help="Database migrations.")
    doctor.register(app)
    sandbox.register(app)
    from ops.cli import deadletters, limits

    limits.register(app)
    app.add_typer(deadletters.app, name="deadletters", help="Dead letters: list, show, replay.")
    __import__("ops.cli.blocklist", fromlist=["register"]).register(app)
    app.add_typer(__import__("ops.cli.leads", fromlist=["app"]).app, name="leads")
    __import__("ops.cli.report", fromlist=["register"]).register(app)
    __import__("ops.cli.send_days", fromlist=["register"]).register(app)
    __import__("ops.cli.runs", fromlist=["register"]).register(app)
    __import__("ops.cli.onboarding", fromlist=["register"]).register(app)
    __import__("ops.cli.mailboxes", fromlist=["register"]).register(app)


_register()


def main() -> None:
    import redis
    import sqlalchemy.exc

    try:
        app()
    except CliError as exc:
        # escape(): the message is text, not markup (a slug pattern's "[a-z0-9]" must survive).
        err_console.print(f"[red]error:[/red] {escape(str(exc))}")
        sys.exit(2)
    except redis.RedisError as exc:
        err_console.print(f"[red]error:[/red] Redis unreachable: {escape(_short(exc))}")
        sys.exit(3)
    except sqlalchemy.exc.OperationalError as exc:
        err_console.print(
            f"[red]error:[/red] database unreachable or not migrated: {escape(_short(exc))}"
            " (run `leadops db upgrade`)"
        )
        sys.exit(3)
    except RuntimeError as exc:
        err_console.print(f"[red]error:[/red] {escape(_short(exc))}")
        sys.exit(3)


def _short(exc: BaseException) -> str:
    from workers.redaction import redact

    text = str(exc).strip().splitlines()
    return redact(text[0] if text else type(exc).__name__)
