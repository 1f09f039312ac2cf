"""Run an ASGI sandbox app with uvicorn in a background thread on 127.0.0.1."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from workers.redaction import redact


class _RedactAccessLog(logging.Filter):
    """uvicorn's access log prints the path with its query string (Smartlead's api_key)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def _redact_uvicorn_logs() -> None:
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactAccessLog) for f in logger.filters):
            logger.addFilter(_RedactAccessLog())


@contextmanager
def serve(
    app: Any, port: int = 0, *, host: str = "127.0.0.1", startup_timeout: float = 10.0
) -> Iterator[str]:
    """Serve ``app`` until the block ends; yield its base URL (``http://127.0.0.1:PORT``).

    ``port=0`` picks a free port: the socket is bound here, so the URL is known before uvicorn
    starts and no other process can take the port in between.
    """
    _redact_uvicorn_logs()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    actual_port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"sandbox-{actual_port}", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("sandbox server exited during start-up")
            if time.monotonic() > deadline:
                raise RuntimeError("sandbox server did not start in time")
            time.sleep(0.01)
        yield f"http://{host}:{actual_port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def run_forever(app: Any, port: int, host: str = "127.0.0.1") -> None:
    """Foreground server for `leadops sandbox ...` (access log redacted)."""
    config = uvicorn.Config(app, host=host, port=port, log_level="info")  # configures logging
    _redact_uvicorn_logs()
    uvicorn.Server(config).run()
