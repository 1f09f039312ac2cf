"""`leadops demo`: the whole system end to end on embedded defaults (no Docker, no services).

Starts an embedded Redis, a fresh SQLite database, the sandbox servers, the gateway, worker
processes, Beat and Flower; runs the scenarios; prints what happened; stops everything.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from ops.embedded_redis import free_port
from ops.supervisor import Stack, wait_for_http
from workers.settings import Settings, reset_settings_cache

console = Console()


@dataclass
class DemoContext:
    settings: Settings
    stack: Stack
    gateway_url: str
    flower_url: str
    flower_auth: tuple[str, str]
    sandboxes: dict[str, str] = field(default_factory=dict)  # name -> base URL
    workers: int = 2
    results: list[tuple[str, bool, str]] = field(default_factory=list)

    def check(self, name: str, ok: bool, detail: str) -> None:
        self.results.append((name, ok, detail))
        mark = "[green]ok[/green]" if ok else "[red]FAILED[/red]"
        console.print(f"  {mark} {name}: {detail}")


def wait_until(predicate: Callable[[], Any], timeout: float, interval: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return value


# ---- scenarios ---------------------------------------------------------------------------------
def scenario_ping(ctx: DemoContext) -> None:
    """A ping task through a real worker process, then visible in Flower's API."""
    from workers.celery_app import app

    console.rule("ping through a worker, seen by Flower")
    result = app.send_task("tasks.ping.ping", args=["demo"])
    value = result.get(timeout=30)
    ctx.check("ping task", value.get("pong") == "demo", f"ran in worker pid {value.get('pid')}")

    def flower_sees() -> dict[str, Any] | None:
        try:
            r = httpx.get(
                f"{ctx.flower_url}/api/task/info/{result.id}", auth=ctx.flower_auth, timeout=5
            )
        except httpx.HTTPError:
            return None
        return r.json() if r.status_code == 200 and r.json().get("state") == "SUCCESS" else None

    info = wait_until(flower_sees, 30)
    ctx.check(
        "Flower shows the task",
        bool(info),
        f"state {info.get('state')} on {info.get('worker')}" if info else "not seen",
    )

    def flower_workers() -> dict[str, Any] | None:
        r = httpx.get(f"{ctx.flower_url}/api/workers?refresh=1", auth=ctx.flower_auth, timeout=10)
        found: dict[str, Any] = r.json() if r.status_code == 200 else {}
        return found if len(found) >= ctx.workers else None

    workers = wait_until(flower_workers, 30, 1.0) or {}
    ctx.check("Flower lists the workers", len(workers) >= ctx.workers, ", ".join(sorted(workers)))


def _scenario_intake(ctx: DemoContext) -> None:
    from ops.demo_intake import scenario_intake

    scenario_intake(ctx)


def _scenario_reply_routing(ctx: DemoContext) -> None:
    from ops.demo_replies import scenario_reply_routing

    scenario_reply_routing(ctx)


SCENARIOS: list[Callable[[DemoContext], None]] = [
    scenario_ping,
    _scenario_intake,
    _scenario_reply_routing,
]


# ---- orchestration -----------------------------------------------------------------------------
def _prepare_environment(var_dir: Path) -> Settings:
    if var_dir.exists():
        shutil.rmtree(var_dir)
    var_dir.mkdir(parents=True)
    os.environ["LEADOPS_VAR_DIR"] = str(var_dir)
    os.environ.pop("LEADOPS_REDIS_URL", None)
    os.environ.pop("LEADOPS_DATABASE_URL", None)
    os.environ["LEADOPS_GATEWAY_PORT"] = str(free_port())
    os.environ["LEADOPS_FLOWER_PORT"] = str(free_port())
    reset_settings_cache()
    from workers.settings import get_settings

    return get_settings()


def run_demo(var_dir: Path, workers: int = 2) -> int:
    from ops import migrate
    from workers.logging import configure_logging

    settings = _prepare_environment(var_dir)
    configure_logging(level="WARNING")
    stack = Stack(settings=settings, log_dir=settings.var_path / "logs")
    try:
        console.rule("[bold]LeadOps demo[/bold]: embedded Redis + SQLite, sandbox services")
        redis_url = stack.start_redis()
        os.environ["LEADOPS_REDIS_URL"] = redis_url
        reset_settings_cache()
        _reconfigure_celery()
        migrate.upgrade(settings.resolved_database_url())
        console.print(f"redis {redis_url} (embedded), database {settings.resolved_database_url()}")
        sandboxes = stack.start_sandboxes()
        stack.spawn("gateway", "gateway")
        for i in range(workers):
            stack.spawn(f"worker{i + 1}", "worker", "-c", "2", "-n", f"demo{i + 1}@%h")
        stack.spawn("beat", "beat")
        stack.spawn("flower", "flower")
        gw = f"http://{settings.gateway_host}:{settings.gateway_port}"
        fl = f"http://{settings.flower_host}:{settings.flower_port}"
        auth = (settings.flower_user, settings.flower_password.get_secret_value())
        if not wait_for_http(f"{gw}/healthz", 60) or not wait_for_http(
            f"{fl}/api/workers", 60, auth=auth
        ):
            console.print(f"[red]roles did not come up; logs in {stack.log_dir}[/red]")
            return 1
        console.print(f"gateway {gw}, flower {fl}, {workers} workers, beat; logs {stack.log_dir}")
        ctx = DemoContext(settings, stack, gw, fl, auth, sandboxes, workers=workers)
        for scenario in SCENARIOS:
            try:
                scenario(ctx)
            except Exception as exc:  # a failed scenario is reported, then the demo fails
                from workers.redaction import redact

                ctx.check(scenario.__name__, False, redact(f"{type(exc).__name__}: {exc}"))
        return _summary(ctx)
    finally:
        console.print("stopping every role...")
        stack.stop()
        console.print("stopped.")


def _reconfigure_celery() -> None:
    """The in-process Celery app must talk to the Redis just started."""
    from workers import celery_app as module
    from workers.celery_app import CeleryConfig
    from workers.settings import get_settings

    module.app.config_from_object(CeleryConfig(get_settings()), force=True)
    module.app.conf.include = list(module.TASK_MODULES)


def _summary(ctx: DemoContext) -> int:
    console.rule("summary")
    table = Table("check", "result", "detail")
    for name, ok, detail in ctx.results:
        table.add_row(name, "[green]ok[/green]" if ok else "[red]FAILED[/red]", detail)
    console.print(table)
    failed = [n for n, ok, _ in ctx.results if not ok]
    if failed:
        console.print(f"[red]{len(failed)} check(s) failed[/red]: {', '.join(failed)}")
        return 1
    console.print(f"[green]all {len(ctx.results)} checks passed[/green]")
    return 0
