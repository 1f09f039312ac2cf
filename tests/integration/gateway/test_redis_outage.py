"""Redis down: 503 with Retry-After and nothing marked seen; back up: the retry is accepted
once. A private redis-server on a free port, stopped and started by the test."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import redis

from ops.bench import gateway_payloads as P
from tests.integration.gateway.conftest import ACME_SECRETS, create_accounts

pytestmark = pytest.mark.integration


def test_redis_stopped_gives_503_and_the_retry_is_accepted_once(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api_gateway.app import create_app
    from ops.embedded_redis import EmbeddedRedis
    from ops.sandbox.serve import serve
    from workers.settings import get_settings, reset_settings_cache

    server = EmbeddedRedis(tmp_path / "redis")
    url = server.start()
    monkeypatch.setenv("LEADOPS_REDIS_URL", url)
    monkeypatch.setenv("LEADOPS_GATEWAY_RETRY_AFTER_SECONDS", "7")
    reset_settings_cache()
    create_accounts()
    headers = {"Authorization": f"Bearer {ACME_SECRETS['clay']}"}
    probe = redis.Redis.from_url(url)
    try:
        with (
            serve(create_app(get_settings())) as base,
            httpx.Client(base_url=base, timeout=10) as client,
        ):
            # Given a working gateway
            assert (
                client.post("/v1/acme/clay", json=P.clay_row(1), headers=headers).status_code == 202
            )

            # When Redis stops
            server.stop()
            down = client.post("/v1/acme/clay", json=P.clay_row(2), headers=headers)
            health = client.get("/healthz")

            # Then the sender is told to come back, and the gateway is not healthy
            assert down.status_code == 503, down.text
            assert down.headers["Retry-After"] == "7"
            assert "retry later" in down.json()["detail"]
            assert health.status_code == 503

            # When Redis is back (same port, same data) and the sender retries
            server.start()
            retry = client.post("/v1/acme/clay", json=P.clay_row(2), headers=headers)
            again = client.post("/v1/acme/clay", json=P.clay_row(2), headers=headers)

            # Then the retry is accepted exactly once
            assert retry.status_code == 202, retry.text
            assert again.status_code == 200 and again.json()["duplicate"] is True
            assert probe.llen("realtime") == 2
            assert client.get("/healthz").status_code == 200
    finally:
        probe.close()
        server.stop()
