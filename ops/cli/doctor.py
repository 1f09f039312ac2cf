"""`leadops doctor`: check Redis, database, migrations and settings; say what is wrong."""

from __future__ import annotations

import typer
from rich.table import Table

from ops.cli import console


def doctor() -> None:
    """Check everything LeadOps needs; exit 1 when something is wrong."""
    from pydantic import ValidationError

    rows: list[tuple[str, bool, str]] = []
    try:
        from workers.settings import get_settings

        s = get_settings()
        rows.append(("settings", True, f"env={s.env}, var={s.var_path}"))
    except ValidationError as exc:
        rows.append(("settings", False, str(exc.errors()[0]["msg"])))
        _print(rows)
        raise typer.Exit(1) from None

    import redis

    try:
        url = s.resolved_redis_url()
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        rows.append(("redis", True, "reachable" + ("" if s.redis_url else " (embedded)")))
    except (RuntimeError, redis.RedisError) as exc:
        rows.append(("redis", False, str(exc).splitlines()[0]))

    from sqlalchemy.exc import SQLAlchemyError

    from ops import migrate

    try:
        current, head = migrate.current_and_head(s.resolved_database_url())
        db_kind = s.resolved_database_url().split(":", 1)[0]
        rows.append(("database", True, f"{db_kind} reachable"))
        ok = current == head
        rows.append(
            (
                "migrations",
                ok,
                f"at {current}, head {head}" + ("" if ok else " — run `leadops db upgrade`"),
            )
        )
    except SQLAlchemyError as exc:
        rows.append(("database", False, str(exc).splitlines()[0]))

    try:
        s.fernet_key()
        rows.append(("secret key", True, "set" if s.secret_key else "development key under var/"))
    except RuntimeError as exc:
        rows.append(("secret key", False, str(exc)))
    _print(rows)
    if not all(ok for _, ok, _ in rows):
        raise typer.Exit(1)


def _print(rows: list[tuple[str, bool, str]]) -> None:
    from workers.redaction import redact

    table = Table("check", "ok", "detail")
    for name, ok, detail in rows:
        table.add_row(name, "[green]ok[/green]" if ok else "[red]FAIL[/red]", redact(detail))
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command()(doctor)
