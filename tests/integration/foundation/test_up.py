"""`leadops up` on embedded defaults: every role starts, Flower lists the workers, and Ctrl-C /
SIGTERM stops everything, embedded Redis included, leaving no process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import psutil
import pytest

from ops.embedded_redis import free_port
from tests.conftest import child_env

pytestmark = pytest.mark.integration


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


@pytest.mark.parametrize(
    ("stop_signal", "sandbox"), [(signal.SIGTERM, False), (signal.SIGINT, True)]
)
def test_up_starts_every_role_and_stops_without_orphans(tmp_path, stop_signal, sandbox) -> None:
    gw_port, flower_port = free_port(), free_port()
    env = child_env(
        LEADOPS_GATEWAY_PORT=str(gw_port),
        LEADOPS_FLOWER_PORT=str(flower_port),
        LEADOPS_VAR_DIR=str(tmp_path / "var"),
    )
    env.pop("LEADOPS_REDIS_URL")  # embedded Redis
    proc = subprocess.Popen(
        [sys.executable, "-m", "ops.cli", "up", "--workers", "2", "--concurrency", "1"]
        + (["--sandbox"] if sandbox else []),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        auth = ("admin", "leadops-dev")
        workers = _wait(
            lambda: httpx.get(
                f"http://127.0.0.1:{flower_port}/api/workers?refresh=1", auth=auth, timeout=5
            ).json(),
            60,
            "Flower to list workers",
        )
        workers = _wait(
            lambda: (lambda w: w if len(w) >= 2 else None)(
                httpx.get(
                    f"http://127.0.0.1:{flower_port}/api/workers?refresh=1", auth=auth, timeout=5
                ).json()
            ),
            60,
            "two workers",
        )
        assert sorted(name.split("@")[0] for name in workers) == ["worker1", "worker2"]
        assert (
            httpx.get(f"http://127.0.0.1:{flower_port}/api/workers", timeout=5).status_code == 401
        )
        assert httpx.get(f"http://127.0.0.1:{gw_port}/healthz", timeout=5).status_code == 200
        url_file = tmp_path / "var" / "redis" / "url"
        assert url_file.exists()
        assert (tmp_path / "var" / "redis" / "appendonly.aof").exists() or any(
            (tmp_path / "var" / "redis").glob("appendonly*")
        )
        if sandbox:
            stats = httpx.get("http://127.0.0.1:8900/admin/stats", timeout=5)
            assert stats.status_code == 200 and "keys" in stats.json()
        descendants = psutil.Process(proc.pid).children(recursive=True)
        names = " ".join(" ".join(p.cmdline()) for p in descendants)
        assert "redis-server" in names and "worker" in names and "beat" in names
        assert len(descendants) >= 6
        # when
        os.kill(proc.pid, stop_signal)
        out, _ = proc.communicate(timeout=60)
        # then
        assert proc.returncode == 0, out.decode(errors="replace")[-2000:]
        alive = [p for p in descendants if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        assert alive == [], [p.cmdline() for p in alive]
        assert not url_file.exists()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
