"""What the limiter benchmarks share: a private environment (fresh Redis db, SQLite under a temp
dir), the Smartlead sandbox in its own process, real `leadops worker` processes, accounts."""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

# One harness for every benchmark: environment, sandbox process and admin calls.
from ops.bench.intake_stack import (  # noqa: F401 - re-exported for the limiter benchmarks
    ROOT,
    admin,
    free_port,
    sandbox_process,
    setup_env,
    stats,
)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Warm shutdown of the main process (it stops its pool); the group only if it hangs."""
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


@contextmanager
def workers(
    n: int,
    concurrency: int,
    log_dir: Path,
    *,
    queues: str = "realtime,bulk,default",
    env: dict[str, str] | None = None,
) -> Iterator[list[str]]:
    """``n`` real `leadops worker` processes with ``concurrency`` pool processes each."""
    from workers.celery_app import app

    procs, names = [], []
    for i in range(n):
        name = f"bench{i}-{os.getpid()}-{time.monotonic_ns() % 10**6}@localhost"
        with open(log_dir / f"worker{i}.log", "ab") as fh:
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "ops.cli",
                        "worker",
                        "-c",
                        str(concurrency),
                        "-n",
                        name,
                        "-Q",
                        queues,
                        "-l",
                        "WARNING",
                    ],
                    cwd=ROOT,
                    stdout=fh,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, **(env or {})},
                    start_new_session=True,
                )
            )
        names.append(name)
    try:
        deadline = time.monotonic() + 60
        pending = set(names)
        while pending:
            if time.monotonic() > deadline:
                raise RuntimeError(f"workers did not start: see {log_dir}")
            for reply in app.control.ping(destination=list(pending), timeout=0.5) or []:
                pending -= set(reply)
        yield names
    finally:
        for p in procs:
            stop(p)
        app.control.purge()


def create_accounts(specs: Sequence[tuple[str, str, str, list[list[float]]]]) -> list[int]:
    """(slug, api_key, sandbox url, limits) -> account ids (custom rate-limit plan)."""
    from workers.db import session_scope
    from workers.models import Account

    ids = []
    with session_scope() as s:
        rows = [
            Account(
                slug=slug,
                name=slug,
                smartlead_api_key=key,
                smartlead_base_url=f"{url}/api/v1",
                rate_limit_plan="custom",
                rate_limits=limits,
            )
            for slug, key, url, limits in specs
        ]
        s.add_all(rows)
        s.flush()
        ids = [r.id for r in rows]
    return ids


def parse_limits(text: str) -> list[list[float]]:
    """ "10/2,60/60" -> [[10, 2.0], [60, 60.0]]."""
    return [[int(a), float(b)] for a, b in (part.split("/") for part in text.split(","))]


def allowed_in(limits: Sequence[Sequence[float]], seconds: float) -> float:
    """Requests the limit allows in ``seconds`` at its sustained rate (the slowest window)."""
    return min(lim / win for lim, win in limits) * seconds


def percentiles(values: Sequence[float]) -> dict[str, float]:
    v = sorted(values)
    if not v:
        return {}
    q = statistics.quantiles(v, n=100, method="inclusive") if len(v) > 1 else [v[0]] * 99
    return {"n": len(v), "min": v[0], "p50": q[49], "p90": q[89], "p99": q[98], "max": v[-1]}
