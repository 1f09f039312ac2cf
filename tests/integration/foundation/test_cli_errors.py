"""Unreachable Redis or database: a one-line explanation and a non-zero exit, no traceback."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from ops.embedded_redis import free_port
from tests.conftest import child_env

pytestmark = pytest.mark.integration


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ops.cli", *args],
        env=child_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_worker_with_unreachable_redis_explains_in_one_line(tmp_path) -> None:
    r = _run("worker", LEADOPS_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    assert "unreachable" in r.stderr and len(r.stderr.strip().splitlines()) <= 2


def test_doctor_reports_what_is_wrong(tmp_path) -> None:
    r = _run(
        "doctor",
        LEADOPS_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
        LEADOPS_DATABASE_URL=f"sqlite:///{tmp_path}/fresh.db",
    )
    assert r.returncode == 1
    assert "redis" in r.stdout and "FAIL" in r.stdout
    assert "leadops db upgrade" in r.stdout


def test_accounts_list_with_unreachable_database(tmp_path) -> None:
    r = _run("accounts", "list", LEADOPS_DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    assert "database" in r.stderr


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose not installed")
def test_docker_compose_file_is_valid() -> None:
    r = subprocess.run(
        ["docker-compose", "config"],
        capture_output=True,
        text=True,
        env=child_env(
            POSTGRES_PASSWORD="p", LEADOPS_SECRET_KEY="k" * 40, LEADOPS_FLOWER_PASSWORD="f"
        ),
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    for role in ("redis", "postgres", "migrate", "gateway", "worker", "beat", "flower"):
        assert f"  {role}:" in r.stdout
    assert "service_healthy" in r.stdout and "appendonly" in r.stdout
