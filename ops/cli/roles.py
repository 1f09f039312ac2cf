"""One role per command (worker, beat, gateway, flower) and `up`, which supervises them all."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import typer

from ops.cli import CliError, console
from workers.queues import ALL_QUEUES
from workers.settings import get_settings


def _require_redis() -> str:
    try:
        url = get_settings().resolved_redis_url()
    except RuntimeError as exc:
        raise CliError(str(exc)) from None
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        raise CliError(f"Redis at {_safe_url(url)} is unreachable: {exc}") from None
    return url


def _safe_url(url: str) -> str:
    from workers.redaction import redact

    if "@" in url:
        scheme, rest = url.split("://", 1)
        url = f"{scheme}://***@{rest.split('@', 1)[1]}"
    return redact(url)


def worker(
    concurrency: int = typer.Option(None, "--concurrency", "-c", help="Processes in the pool."),
    queues: str = typer.Option(",".join(ALL_QUEUES), "--queues", "-Q"),
    hostname: str = typer.Option(None, "--hostname", "-n"),
    loglevel: str = typer.Option("INFO", "--loglevel", "-l"),
) -> None:
    """Run one Celery worker (scale out by running more, on any host sharing Redis)."""
    _require_redis()
    from workers.celery_app import app

    unknown = set(queues.split(",")) - set(ALL_QUEUES)
    if unknown:
        raise CliError(f"unknown queue(s) {sorted(unknown)}; declared: {list(ALL_QUEUES)}")
    argv = [
        "worker",
        "-Q",
        queues,
        "-l",
        loglevel,
        "-E",
        "-c",
        str(concurrency or get_settings().worker_concurrency),
    ]
    if hostname:
        argv += ["-n", hostname]
    if not get_settings().worker_mingle:
        argv += ["--without-mingle", "--without-gossip"]
    app.worker_main(argv)


def beat(loglevel: str = typer.Option("INFO", "--loglevel", "-l")) -> None:
    """Run Celery Beat (RedBeat: a lock in Redis keeps a second Beat from firing)."""
    _require_redis()
    from beat_schedule import BEAT_SCHEDULE
    from workers.celery_app import app

    app.conf.beat_schedule = BEAT_SCHEDULE
    from workers.beat import SCHEDULER

    app.start(["beat", "-l", loglevel, "-S", SCHEDULER])


def gateway(
    host: str = typer.Option(None, help="Default: LEADOPS_GATEWAY_HOST."),
    port: int = typer.Option(None, help="Default: LEADOPS_GATEWAY_PORT."),
) -> None:
    """Run the webhook gateway (FastAPI on uvicorn)."""
    _require_redis()
    import uvicorn

    s = get_settings()
    uvicorn.run(
        "api_gateway.app:app",
        host=host or s.gateway_host,
        port=port or s.gateway_port,
        log_level="warning",
        access_log=False,
    )


def flower(port: int = typer.Option(None, help="Default: LEADOPS_FLOWER_PORT.")) -> None:
    """Run Flower with basic auth (credentials from settings, never on the command line)."""
    _require_redis()
    from workers.celery_app import app

    s = get_settings()
    os.environ["FLOWER_BASIC_AUTH"] = f"{s.flower_user}:{s.flower_password.get_secret_value()}"
    app.start(flower_argv(port or s.flower_port))


def flower_argv(port: int) -> list[str]:
    """Flower keeps every task it has seen in memory unless told a cap (259 -> 422 MB at 39,000
    tasks): keep the newest ``flower_max_tasks`` tasks and ``flower_max_workers`` workers; older
    tasks drop out of Flower's task list (Redis, the database and the audit still have them)."""
    s = get_settings()
    return [
        "flower",
        f"--port={port}",
        f"--address={s.flower_host}",
        "--purge_offline_workers=60",
        f"--max_tasks={s.flower_max_tasks}",
        f"--max_workers={s.flower_max_workers}",
    ]


def up(
    workers: int = typer.Option(2, "--workers", "-w", min=1, help="Worker processes to run."),
    no_flower: bool = typer.Option(False, "--no-flower", help="Do not start Flower."),
    concurrency: int = typer.Option(2, "--concurrency", "-c", min=1, help="Pool size per worker."),
    sandbox: bool = typer.Option(
        False, "--sandbox", help="Also run the Smartlead/HubSpot/Slack sandboxes (8900-8902)."
    ),
) -> None:
    """Start gateway, N workers, Beat and Flower (and an embedded Redis when none is set);
    stop all of them on Ctrl-C or SIGTERM."""
    from ops import migrate
    from ops.supervisor import Stack, wait_for_http

    s = get_settings()
    stack = Stack(settings=s, log_dir=s.var_path / "logs")
    stopping = False

    def _stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        redis_url = stack.start_redis()
        migrate.upgrade(s.resolved_database_url())
        sandboxes = (
            stack.start_sandboxes({"smartlead": 8900, "hubspot": 8901, "slack": 8902})
            if sandbox
            else {}
        )
        stack.spawn("gateway", "gateway")
        for i in range(workers):
            stack.spawn(
                f"worker{i + 1}", "worker", "-c", str(concurrency), "-n", f"worker{i + 1}@%h"
            )
        stack.spawn("beat", "beat")
        if not no_flower:
            stack.spawn("flower", "flower")
        gw = f"http://{s.gateway_host}:{s.gateway_port}"
        console.print(
            f"[bold]LeadOps up[/bold]: redis {_safe_url(redis_url)}"
            f"{' (embedded)' if stack.redis else ''}"
        )
        console.print(f"  gateway  {gw}  (docs {gw}/docs)")
        if not no_flower:
            console.print(
                f"  flower   http://{s.flower_host}:{s.flower_port}  (user {s.flower_user})"
            )
        console.print(
            f"  workers  {workers} x {concurrency} processes; beat 1; logs {stack.log_dir}"
        )
        for name, url in sandboxes.items():
            api = f"{url}/api/v1" if name == "smartlead" else url
            console.print(f"  sandbox  {name:<9} {api}  (admin {url}/admin)")
        wait_for_http(f"{gw}/healthz", timeout=20)
        console.print("Ctrl-C to stop.")
        while not stopping:
            dead = stack.dead_children()
            if dead:
                names = ", ".join(
                    f"{c.name} (exit {c.proc.returncode}, log {c.log_path})" for c in dead
                )
                raise CliError(f"a role stopped: {names}")
            time.sleep(0.5)
    finally:
        console.print("stopping...")
        stack.stop()
        console.print("stopped.")


def demo(workers: int = typer.Option(2, "--workers", "-w", min=1)) -> None:
    """Run the whole system end to end on embedded defaults and print what happened."""
    from ops.demo.run import run_demo

    code = run_demo(get_settings().var_path / "demo", workers=workers)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    for fn in (worker, beat, gateway, flower, up, demo):
        app.command(name=fn.__name__)(fn)


__all__ = ["register", "Path"]
