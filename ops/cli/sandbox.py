"""`leadops sandbox smartlead|hubspot|slack --port N`: run a fake API server in the foreground."""

from __future__ import annotations

import typer

from ops.cli import console

app = typer.Typer(no_args_is_help=True)

PORT_HELP = "Port on 127.0.0.1 (0 picks a free one)."


@app.command()
def smartlead(
    port: int = typer.Option(8900, help=PORT_HELP),
    key: list[str] = typer.Option(
        [], "--key", help="API key to register (repeatable); more via POST /admin/keys."
    ),
) -> None:
    """Fake Smartlead API v1 under /api/v1, admin API under /admin."""
    from ops.sandbox.serve import run_forever
    from ops.sandbox.smartlead import create_app

    console.print(f"Smartlead sandbox: http://127.0.0.1:{port}/api/v1 ({len(key)} key(s))")
    run_forever(create_app(keys=key), port)


@app.command()
def hubspot(
    port: int = typer.Option(8901, help=PORT_HELP),
    token: list[str] = typer.Option(
        [], "--token", help="Private-app token to accept (repeatable); more via POST /admin/tokens."
    ),
) -> None:
    """Fake HubSpot CRM API."""
    from ops.sandbox.hubspot import create_app
    from ops.sandbox.serve import run_forever

    console.print(f"HubSpot sandbox: http://127.0.0.1:{port} ({len(token)} token(s))")
    run_forever(create_app(tokens=token), port)


@app.command()
def slack(port: int = typer.Option(8902, help=PORT_HELP)) -> None:
    """Fake Slack incoming webhooks."""
    from ops.sandbox.serve import run_forever
    from ops.sandbox.slack import create_app

    console.print(f"Slack sandbox: http://127.0.0.1:{port}")
    run_forever(create_app(), port)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="sandbox", help="Fake Smartlead/HubSpot/Slack servers (loopback).")
