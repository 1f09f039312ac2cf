"""`leadops limits`: every API key's current budget per window, penalty box and counters, as the
shared limiter sees it in Redis (keys are shown by hash, with the accounts that use them)."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from ops.cli import CliError, console


def _accounts_by_key() -> dict[str, list[str]]:
    """Key hash -> account slugs (Smartlead and HubSpot credentials, decrypted in memory only)."""
    from sqlalchemy import select

    from workers.db import session_scope
    from workers.models import Account
    from workers.rate_limit.limiter import key_id

    out: dict[str, list[str]] = {}
    try:
        with session_scope() as session:
            for a in session.scalars(select(Account).order_by(Account.id)):
                for service, cred in (
                    ("smartlead", a.smartlead_api_key),
                    ("hubspot", a.hubspot_token),
                    ("slack", a.slack_webhook_url),
                ):
                    if cred:
                        out.setdefault(key_id(service, cred), []).append(a.slug)
    except Exception:  # no database yet: show the keys without their accounts
        return {}
    return out


def limits(
    account: str = typer.Option(None, "--account", "-a", help="Only the keys of this account."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Each API key's budget per window, 429 penalty box and counters (all processes)."""
    from ops.cli.roles import _require_redis
    from workers.rate_limit.limiter import get_limiter

    _require_redis()
    limiter = get_limiter()
    owners = _accounts_by_key()
    keys = limiter.known_keys()
    if account:
        keys = [k for k in keys if account in owners.get(k, [])]
        if not keys:
            raise CliError(f"no rate-limited key seen for account {account!r}")
    rows = [limiter.status(k) | {"accounts": owners.get(k, [])} for k in keys]
    if as_json:
        console.print_json(json.dumps(rows))
        return
    p = limiter.policy
    table = Table(
        "key",
        "service",
        "accounts",
        "windows used/limit in force",
        "penalty",
        "server budget",
        "admitted rt/bulk",
        "rescheduled",
        "429s",
        "waited s",
        title=f"shared limiter (padding {p.padding_ms:g} ms, margin {p.limit_margin}, "
        f"realtime reserve {p.realtime_reserve:.0%}, "
        f"max wait {limiter.max_wait * 1000:.0f} ms)",
    )
    for r in rows:
        c = r["counters"]

        def lanes(prefix: str, c: dict[str, float] = c) -> str:
            return f"{c.get(prefix + ':realtime', 0):g}/{c.get(prefix + ':bulk', 0):g}"

        table.add_row(
            r["key"],
            r["service"],
            ", ".join(r["accounts"]) or "-",
            "  ".join(
                f"{w['used']}/{w['learned']} per {w['window'].split('/')[1]}"
                + (f" (learned; plan {w['limit']})" if w["learned"] < w["limit"] else "")
                for w in r["windows"]
            ),
            f"[red]{r['penalty_seconds']:.1f}s[/red]" if r["penalty_seconds"] else "-",
            "-"
            if r["header_remaining"] is None
            else f"{r['header_remaining']} for {r['header_seconds']:.1f}s",
            lanes("admitted"),
            lanes("deferred"),
            lanes("429"),
            f"{c.get('waited_s:realtime', 0) + c.get('waited_s:bulk', 0):.1f}",
        )
    console.print(table if rows else "no rate-limited key has been used yet")


def register(app: typer.Typer) -> None:
    app.command("limits")(limits)
