"""The Smartlead API key (a query parameter in every URL) never appears in a log record
(stdlib or structlog), an exception's text, repr or traceback, or a client repr, on every
error path."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable

import httpx
import pytest
import structlog

from tests.integration.sandbox.conftest import Sandbox
from workers.clients.errors import (
    ApiError,
    NotFound,
    PermanentError,
    RateLimited,
    TransientError,
    Unauthorized,
)
from workers.clients.smartlead import SmartleadClient

pytestmark = pytest.mark.integration

SECRET = "sl-leakcheck-9f8e7d6c5b4a"
UNKNOWN_KEY = "sl-unknown-key-abcdef"  # a name, so traceback source lines never show it


def _texts(exc: BaseException) -> list[str]:
    return [
        str(exc),
        repr(exc),
        repr(exc.args),
        "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
    ]


def test_no_api_key_in_logs_exceptions_or_reprs_on_any_error_path(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sandbox.post("/admin/keys", {"api_key": SECRET, "limits": [[2, 60]]})
    cid = sandbox.post("/admin/campaigns", {"api_key": SECRET, "name": "c"})["id"]
    client = SmartleadClient(SECRET, base_url=sandbox.api, timeout=5)
    mock_answers = {
        "ok_false": httpx.Response(200, json={"ok": False, "message": "refused"}),
        "not_json": httpx.Response(
            200, text="<html>oops</html>", headers={"content-type": "text/html"}
        ),
    }

    def mocked(name: str) -> SmartleadClient:
        return SmartleadClient(
            SECRET,
            base_url="http://sl.test/api/v1",
            timeout=2,
            transport=httpx.MockTransport(lambda r: mock_answers[name]),
        )

    def admin(body: dict) -> None:
        sandbox.post("/admin/faults", {"api_key": SECRET, **body})

    paths: list[tuple[type[ApiError], Callable[[], object]]] = [
        (
            PermanentError,
            lambda: client.add_leads(
                cid, [{"email": "a@x.com"}], settings={"ignore_global_block_list": "x"}
            ),
        ),
        (NotFound, lambda: client._call("POST", "/block_list")),
        (RateLimited, lambda: client.list_campaigns()),  # third request over the 2/60s limit
        (
            Unauthorized,
            lambda: SmartleadClient(UNKNOWN_KEY, base_url=sandbox.api).list_campaigns(),
        ),
        (PermanentError, lambda: mocked("ok_false").create_campaign("x")),
        (PermanentError, lambda: mocked("not_json").list_campaigns()),
        (
            TransientError,
            lambda: SmartleadClient(
                SECRET, base_url="http://127.0.0.1:9/api/v1", timeout=1
            ).list_campaigns(),
        ),
    ]
    errors: list[ApiError] = []
    with structlog.testing.capture_logs() as events:
        for expected, call in paths:
            with pytest.raises(expected) as info:
                call()
            errors.append(info.value)
        sandbox.post("/admin/keys", {"api_key": SECRET, "limits": [[1000, 1]]})
        sandbox.state.keys[SECRET].limiter.accepted.clear()
        for body, expected in (
            ({"unauthorized": True}, Unauthorized),
            ({"unauthorized": False, "storm_seconds": 5}, RateLimited),
            ({"storm_seconds": 0, "error_rate": 1.0}, TransientError),
            ({"error_rate": 0, "latency_ms": 300}, TransientError),
        ):
            admin(body)
            fast = SmartleadClient(SECRET, base_url=sandbox.api, timeout=0.1)
            with pytest.raises(expected) as info:
                fast.list_campaigns()
            errors.append(info.value)

    assert len(errors) == 11
    assert {type(e) for e in errors} == {
        PermanentError,
        NotFound,
        RateLimited,
        Unauthorized,
        TransientError,
    }
    for exc in errors:
        for text in _texts(exc):
            assert SECRET not in text and UNKNOWN_KEY not in text
    assert events, "the client logs its errors"
    for event in events:
        assert SECRET not in repr(event)
    for record in caplog.records:
        assert SECRET not in record.getMessage(), record.name
        assert SECRET not in repr(record.args)
    assert SECRET not in repr(client) and SECRET not in repr(client._http)
    assert SECRET not in repr(sandbox.get("/admin/stats"))


def test_httpx_own_request_log_line_is_redacted(
    caplog: pytest.LogCaptureFixture, sandbox: Sandbox
) -> None:
    """httpx logs 'HTTP Request: GET <full url>' at INFO: the record itself is redacted."""
    import workers.clients.http  # noqa: F401  (installs the filter)

    caplog.set_level(logging.INFO, logger="httpx")
    sandbox.post("/admin/keys", {"api_key": SECRET})
    SmartleadClient(SECRET, base_url=sandbox.api, timeout=5).list_campaigns()
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert any("HTTP Request: GET" in line and "api_key=***" in line for line in lines)
    assert all(SECRET not in line for line in lines)
