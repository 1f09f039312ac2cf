"""Supervise LeadOps roles as child processes; stop them all, leaving nothing behind."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ops.embedded_redis import EmbeddedRedis
from workers.settings import Settings


@dataclass
class Child:
    name: str
    proc: subprocess.Popen[bytes]
    log_path: Path


@dataclass
class Stack:
    """The set of processes `leadops up` (and the demo) runs."""

    settings: Settings
    log_dir: Path
    children: list[Child] = field(default_factory=list)
    redis: EmbeddedRedis | None = None
    env: dict[str, str] = field(default_factory=dict)

    def start_redis(self) -> str:
        """The configured Redis, or the embedded one (started here, stopped by stop())."""
        if self.settings.redis_url:
            url = self.settings.redis_url
        else:
            self.redis = EmbeddedRedis(
                self.settings.var_path / "redis", url_file=self.settings.embedded_redis_url_file
            )
            url = self.redis.start()
        self.env = dict(os.environ)
        self.env["LEADOPS_REDIS_URL"] = url
        self.env["LEADOPS_VAR_DIR"] = str(self.settings.var_path)
        self.env.setdefault("PYTHONUNBUFFERED", "1")
        return url

    def spawn(self, name: str, *args: str, extra_env: dict[str, str] | None = None) -> Child:
        """Run `python -m ops.cli <args>` in its own process group, logging to log_dir/name.log."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{name}.log"
        log = open(log_path, "ab")  # noqa: SIM115 - handed to the child
        env = dict(self.env)
        env.update(extra_env or {})
        proc = subprocess.Popen(
            [sys.executable, "-m", "ops.cli", *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        log.close()
        child = Child(name, proc, log_path)
        self.children.append(child)
        return child

    def spawn_command(self, name: str, argv: list[str]) -> Child:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{name}.log"
        log = open(log_path, "ab")  # noqa: SIM115
        proc = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, env=self.env, start_new_session=True
        )
        log.close()
        child = Child(name, proc, log_path)
        self.children.append(child)
        return child

    def start_sandboxes(self, ports: dict[str, int] | None = None) -> dict[str, str]:
        """Sandbox servers of Smartlead, HubSpot and Slack, each in its own process; their
        base URLs once they answer (the Smartlead API is under ``/api/v1``)."""
        from ops.embedded_redis import free_port

        urls: dict[str, str] = {}
        for name in ("smartlead", "hubspot", "slack"):
            port = (ports or {}).get(name) or free_port()
            self.spawn(f"sandbox-{name}", "sandbox", name, "--port", str(port))
            urls[name] = f"http://127.0.0.1:{port}"
        for name, url in urls.items():
            if not wait_for_http(f"{url}/admin/stats" if name == "smartlead" else url, 30):
                raise RuntimeError(f"the {name} sandbox did not start; see {self.log_dir}")
        return urls

    def dead_children(self) -> list[Child]:
        return [c for c in self.children if c.proc.poll() is not None]

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM every process group, wait, then SIGKILL what is left; then stop Redis."""
        for child in reversed(self.children):
            _signal_group(child.proc, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in reversed(self.children):
            remaining = max(0.1, deadline - time.monotonic())
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.proc.wait(timeout=remaining)
        for child in self.children:
            # Kill the whole group: pool children of a Celery worker included.
            _signal_group(child.proc, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.proc.wait(timeout=5)
        self.children.clear()
        if self.redis is not None:
            self.redis.stop()
            self.redis = None


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def wait_for_http(url: str, timeout: float = 30.0, auth: tuple[str, str] | None = None) -> bool:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            r = httpx.get(url, timeout=1.0, auth=auth)
            if r.status_code < 500:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False
