"""Demo scenario: a ping task through a real worker process, then visible in Flower."""

from __future__ import annotations

from typing import Any

import httpx

from ops.demo.context import DemoContext, console, wait_until
from workers.celery_app import app
from workers.task_names import PING


def scenario_ping(ctx: DemoContext) -> None:
    """A ping task through a real worker process, then visible in Flower's API."""
    console.rule("ping through a worker, seen by Flower")
    result = app.send_task(PING, args=["demo"])
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
