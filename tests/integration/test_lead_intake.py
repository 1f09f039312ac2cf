"""Lead intake end to end: real Redis, real worker processes, the Smartlead sandbox over
loopback. Chunk sizes and delays are small so each test takes seconds."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import start_worker, stop_process
from tests.integration.intake_env import IntakeEnv, lead, make_env, outcomes, wait_for

pytestmark = pytest.mark.integration

LEASE = 3.0


@pytest.fixture
def sandbox_url() -> Iterator[str]:
    from ops.sandbox.serve import serve
    from ops.sandbox.smartlead import create_app

    with serve(create_app()) as url:
        yield url


@pytest.fixture
def intake_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short leases so a killed worker's chunk comes back within the test."""
    monkeypatch.setenv("LEADOPS_INTAKE_LEASE_SECONDS", str(LEASE))
    monkeypatch.setenv("LEADOPS_INTAKE_QUEUE_LEASE_SECONDS", "30")
    from workers.intake import dispatch as intake

    intake.reset_caches()


def _send(env: IntakeEnv, i: int, **lead_extra: Any) -> None:
    from workers.celery_app import app

    app.send_task(
        "tasks.lead_intake.accept_lead",
        kwargs={
            "account_id": env.account_id,
            "campaign_id": None,
            "source": "clay",
            "event_id": f"clay-{i}",
            "lead": lead(i, **lead_extra),
        },
    )


def _sweep() -> None:
    from workers.intake import dispatch as intake

    intake.sweep()


@pytest.fixture
def env(redis_url: str, db_url: str, sandbox_url: str, intake_settings: None) -> IntakeEnv:
    return make_env(sandbox_url, chunk_size=5, max_delay=1.0)


@pytest.fixture
def worker(env: IntakeEnv, tmp_path: Path) -> Iterator[Any]:
    w = start_worker(tmp_path, concurrency=2)
    yield w
    stop_process(w.proc)


def test_leads_are_uploaded_in_chunks_and_a_partial_chunk_after_the_max_delay(
    env: IntakeEnv, worker: Any
) -> None:
    # Given 12 single-lead webhooks (chunk size 5, max delay 1 s)
    t0 = time.monotonic()
    for i in range(12):
        _send(env, i)
    # Then two full chunks go at once and the last 2 leads follow after the max delay
    wait_for(lambda: len(env.stored()["leads"]) == 12, 15)
    elapsed = time.monotonic() - t0
    assert env.add_leads_calls() == 3
    assert elapsed >= 0.9
    stored = env.stored()
    assert set(stored["upload_counts"].values()) == {1}  # no lead sent twice
    assert set(outcomes(env.account_id).values()) == {"added"}


def test_same_event_delivered_twice_is_buffered_once(env: IntakeEnv, worker: Any) -> None:
    _send(env, 1)
    _send(env, 1)
    wait_for(lambda: outcomes(env.account_id).get("lead1@example.com") == "added", 10)
    time.sleep(1.5)
    assert env.add_leads_calls() == 1
    assert env.stored()["upload_counts"] == {"lead1@example.com": 1}


def test_worker_killed_mid_upload_loses_and_duplicates_nothing(
    env: IntakeEnv, tmp_path: Path, worker: Any
) -> None:
    from workers.intake import buffer
    from workers.intake.accept import redis_client

    # Given an upload slowed down by 2.5 s of latency (the sandbox stores, then waits)
    env.faults(latency_ms=2500)
    for i in range(5):
        _send(env, i)
    wait_for(lambda: len(env.stored()["leads"]) == 5, 10)
    # When the worker is SIGKILLed while the request is in flight
    os.killpg(worker.proc.pid, signal.SIGKILL)
    worker.proc.wait(5)
    env.faults(latency_ms=0)
    assert outcomes(env.account_id) == {}  # the answer was never recorded
    # Then a new worker gets the chunk back once its lease lapses, and re-sends it once
    w2 = start_worker(tmp_path, concurrency=1)
    try:
        wait_for(
            lambda: set(outcomes(env.account_id).values()) == {"added"},
            LEASE + 15,
            tick=_sweep,
            every=0.3,
        )
    finally:
        stop_process(w2.proc)
    stored = env.stored()
    assert len(stored["leads"]) == 5
    assert set(stored["upload_counts"].values()) == {2}  # the counted re-send, nothing else
    assert int(redis_client().get(buffer.resends_key(env.account_id)) or 0) == 1


def test_one_malformed_lead_is_isolated_and_dead_lettered(env: IntakeEnv, worker: Any) -> None:
    from sqlalchemy import select

    from workers.db import session_scope
    from workers.intake import buffer
    from workers.intake.accept import dispatch, redis_client, submit_lead
    from workers.models import DeadLetter

    # Given 4 good leads and one Smartlead refuses as a whole-request validation error
    # (buffered as is: intake itself would have dropped the unknown key)
    for i in range(4):
        submit_lead(env.account_id, None, lead(i), source="clay", event_id=f"ok-{i}")
    buffer.buffer_lead(
        redis_client(),
        env.account_id,
        env.campaign_id,
        {"email": "bad@example.com", "companyName": "wrong key"},
        source="clay",
        event_id="bad",
        chunk_size=5,
        max_delay=1.0,
    )
    dispatch(env.account_id)
    # Then the good leads are added, the bad one dead-lettered with Smartlead's message
    wait_for(lambda: len(outcomes(env.account_id)) == 5, 20)
    result = outcomes(env.account_id)
    assert result.pop("bad@example.com") == "dead"
    assert set(result.values()) == {"added"}
    assert len(env.stored()["leads"]) == 4
    with session_scope() as s:
        letters = list(s.scalars(select(DeadLetter)))
    assert len(letters) == 1
    assert "companyName" in letters[0].reason
    assert letters[0].task_name == "tasks.lead_intake.accept_lead"


def test_blocked_address_is_refused_and_never_sent(env: IntakeEnv, worker: Any) -> None:
    from workers.db import session_scope
    from workers.models import BlockedAddress

    with session_scope() as s:
        s.add(BlockedAddress(value="blocked.example", kind="domain", reason="test"))
    from workers.celery_app import app

    app.send_task(
        "tasks.lead_intake.accept_lead",
        kwargs={
            "account_id": env.account_id,
            "campaign_id": None,
            "source": "clay",
            "event_id": "b-1",
            "lead": {"email": "x@blocked.example"},
        },
    )
    _send(env, 1)
    wait_for(lambda: outcomes(env.account_id).get("lead1@example.com") == "added", 10)
    assert outcomes(env.account_id)["x@blocked.example"] == "blocked"
    assert [x["email"] for x in env.stored()["leads"]] == ["lead1@example.com"]


def test_csv_import_goes_through_the_pipeline_and_reports_rejected_lines(
    env: IntakeEnv, worker: Any, tmp_path: Path
) -> None:
    import subprocess
    import sys

    from tests.conftest import child_env

    # Given a CSV with a multi-line field, a row without email and one with a bad email
    csv_file = tmp_path / "leads.csv"
    csv_file.write_text(
        "Email,First Name,Company,Notes\n"  # line 1
        'ann@example.com,Ann,Acme,"two\nlines"\n'  # lines 2-3
        ",NoMail,Acme,\n"  # line 4
        "not-an-email,Bad,Acme,\n"  # line 5
        "bob@example.com,Bob,Acme,vip\n"
    )  # line 6
    # When it is imported with the CLI
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "ops.cli",
            "leads",
            "import",
            str(csv_file),
            "--account",
            "acme",
            "--campaign",
            env.campaign_id,
            "--timeout",
            "20",
        ],
        capture_output=True,
        text=True,
        env=child_env(COLUMNS="200"),
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    # Then the good rows are uploaded and the bad ones reported by line
    assert "4 rows: 2 accepted, 2 not accepted" in out.stdout
    lines = {
        ln.split("│")[1].strip()
        for ln in out.stdout.splitlines()
        if ln.count("│") > 3 and ("missing email" in ln or "invalid email" in ln)
    }
    assert lines == {"4", "5"}
    # a row without an email never shows its event id in the email column
    [row4] = [
        ln.split("│")
        for ln in out.stdout.splitlines()
        if ln.count("│") > 3 and ln.split("│")[1].strip() == "4"
    ]
    assert row4[2].strip() == "(none)"
    stored = {x["email"]: x for x in env.stored()["leads"]}
    assert set(stored) == {"ann@example.com", "bob@example.com"}
    assert stored["bob@example.com"]["custom_fields"] == {"Notes": "vip"}
    assert "added 2" in out.stdout
    status = subprocess.run(
        [sys.executable, "-m", "ops.cli", "leads", "status", "--account", "acme"],
        capture_output=True,
        text=True,
        env=child_env(COLUMNS="200"),
        timeout=60,
    )
    assert status.returncode == 0, status.stderr
    assert "missing email" in status.stdout and env.campaign_id in status.stdout


def test_clay_webhooks_through_the_gateway_land_in_chunks_once(env: IntakeEnv, worker: Any) -> None:
    import httpx

    from api_gateway.app import create_app
    from ops.sandbox.serve import serve
    from workers.db import session_scope
    from workers.models import Account
    from workers.settings import get_settings

    with session_scope() as s:
        account = s.get(Account, env.account_id)
        assert account is not None
        account.webhook_secrets = {"clay": "clay-secret-intake"}
    auth = {"Authorization": "Bearer clay-secret-intake"}
    # Given the real gateway, when 7 Clay rows arrive (one of them twice)
    with serve(create_app(get_settings())) as gw, httpx.Client(base_url=gw, timeout=10) as c:
        for i in [*range(7), 3]:
            r = c.post(
                f"/v1/{env.slug}/clay",
                headers=auth,
                json={**lead(i), "row_id": f"r{i}", "custom_fields": {"n": i}},
            )
            assert r.status_code in (200, 202), r.text
        # Then one full chunk goes at once and the other 2 leads after the max delay
        wait_for(lambda: len(env.stored()["leads"]) == 7, 15)
    assert env.add_leads_calls() == 2
    assert set(env.stored()["upload_counts"].values()) == {1}
    assert set(outcomes(env.account_id).values()) == {"added"}
