"""A task enqueued by this process runs in a separate, real worker process."""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.integration


def test_ping_task_runs_in_a_worker_process(worker_process) -> None:
    from workers.celery_app import app

    result = app.send_task("tasks.ping.ping", args=["hello"])
    value = result.get(timeout=20)
    assert value["pong"] == "hello"
    assert value["pid"] != os.getpid()
    assert result.status == "SUCCESS"
