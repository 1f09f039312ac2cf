"""A trivial task that proves the path: enqueue -> worker process -> result."""

from __future__ import annotations

import os
import socket
from typing import Any

from workers.celery_app import app
from workers.task_names import PING


@app.task(name=PING, acks_late=True)
def ping(message: str = "ping") -> dict[str, Any]:
    return {"pong": message, "hostname": socket.gethostname(), "pid": os.getpid()}
