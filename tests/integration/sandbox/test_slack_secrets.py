"""The Slack webhook URL (its path is the secret) appears in no log record, no exception text or
traceback and no repr, on the success path and on every error path, with every logger at DEBUG."""

from __future__ import annotations

import logging
import socket
import traceback
from collections.abc import Iterator

import httpx
import pytest
from structlog.testing import capture_logs

from ops.sandbox.serve import serve
from ops.sandbox.slack import create_app
from workers.clients.errors import ApiError
from workers.clients.slack import SlackClient

pytestmark = pytest.mark.integration

SECRET_PATH = "T0LEAK/B0LEAK/leakCheckSecret9876543210"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve(create_app()) as url:
        yield url


def assert_clean(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text, f"secret leaked in: {text[:300]}"
    assert "leakCheckSecret" not in text and "T0LEAK/B0LEAK" not in text


def test_webhook_url_never_appears_in_logs_errors_or_reprs(
    base_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"{base_url}/services/{SECRET_PATH}"
    for name in (None, "httpx", "httpcore", "workers", "uvicorn"):
        caplog.set_level(logging.DEBUG, logger=name)
    admin = httpx.Client(base_url=base_url, timeout=5)
    admin.post("/admin/reset")
    texts: list[str] = []
    slack = SlackClient(url, timeout=0.5)
    texts.append(repr(slack))

    def attempt(
        fault: dict | None,
        *,
        client: SlackClient = slack,
        blocks: list | None = None,
        expect: type[BaseException] = ApiError,
    ) -> None:
        if fault:
            admin.post("/admin/faults", json={"path": SECRET_PATH, "count": 1, **fault})
        with pytest.raises(expect) as info:
            client.post("leak check", blocks)
        exc = info.value
        texts.extend([str(exc), repr(exc), "".join(traceback.format_exception(exc))])
        texts.append(repr(getattr(exc, "__context__", None)))

    with capture_logs() as events:
        slack.post("success path")
        slack.post_alert("alert path", [f"line {i}" for i in range(60)])
        for status in (400, 403, 404, 410, 500, 429):
            attempt({"status": status})
        attempt(
            None, blocks=[{"type": "header", "text": {"type": "plain_text", "text": "h" * 200}}]
        )
        for _ in range(4):  # exhaust the burst: a real 429 with Retry-After
            try:
                slack.post("burst")
            except ApiError as exc:
                texts.extend([str(exc), repr(exc)])
        down = SlackClient(f"http://127.0.0.1:{_free_port()}/services/{SECRET_PATH}", timeout=0.5)
        texts.append(repr(down))
        attempt(None, client=down)  # connection refused
        with pytest.raises(ValueError) as bad:
            SlackClient(SECRET_PATH)
        texts.append(str(bad.value))
    texts.extend(str(e) for e in events)
    texts.extend(r.getMessage() for r in caplog.records)
    texts.extend(str(r.__dict__) for r in caplog.records)
    texts.append(admin.get("/admin/messages").text)
    admin.close()
    assert events and len(texts) > 20
    httpx_lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert any("HTTP Request: POST ***" in line for line in httpx_lines)  # logged, redacted
    for text in texts:
        assert_clean(text, url)
