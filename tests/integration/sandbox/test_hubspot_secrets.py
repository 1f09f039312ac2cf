"""The HubSpot token appears in no log record, no exception text or traceback, no repr and not in
what the sandbox recorded, on the success path and on every error path, all loggers at DEBUG."""

from __future__ import annotations

import logging
import socket
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

from ops.sandbox.hubspot import create_app
from ops.sandbox.serve import serve
from workers.clients.errors import ApiError
from workers.clients.hubspot import HubSpotClient, forget_known_properties

pytestmark = pytest.mark.integration

TOKEN = "pat-na1-leakcheck-7c41e0aa93b2"
WRONG_TOKEN = "pat-na1-leakcheck-wrong-51d8f2"


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve(create_app()) as url:
        yield url


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_token_never_appears_in_logs_errors_reprs_or_sandbox_records(
    base_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    for name in (None, "httpx", "httpcore", "workers", "uvicorn"):
        caplog.set_level(logging.DEBUG, logger=name)
    forget_known_properties()
    admin = httpx.Client(base_url=base_url, timeout=5)
    admin.post("/admin/reset")
    admin.post("/admin/tokens", json={"token": TOKEN, "limit": 40})
    hubspot = HubSpotClient(TOKEN, base_url=base_url, timeout=0.4)
    texts: list[str] = [repr(hubspot)]

    def attempt(call: Callable[[], Any], fault: dict | None = None) -> None:
        if fault:
            admin.post("/admin/faults", json={"token": TOKEN, "count": 1, **fault})
        with pytest.raises(ApiError) as info:
            call()
        exc = info.value
        texts.extend(
            [str(exc), repr(exc), "".join(traceback.format_exception(exc)), repr(exc.__context__)]
        )

    with capture_logs() as events:
        cid = hubspot.create_contact({"email": "ok@acme.io"})["id"]
        hubspot.update_contact(cid, {"firstname": "Ok"})
        hubspot.get_contact_by_email("missing@acme.io")
        hubspot.batch_upsert([{"email": "b@acme.io"}])
        hubspot.ensure_property("leak_prop", "Leak")
        hubspot.lifecycle_stage_options()
        attempt(lambda: hubspot.create_contact({"email": "ok@acme.io"}))  # 409
        attempt(lambda: hubspot.create_contact({"nope": "x"}))  # 400 PROPERTY_DOESNT_EXIST
        attempt(lambda: hubspot.update_contact("424242", {"firstname": "x"}))  # 404
        for status in (400, 401, 403, 500, 503, 429):
            attempt(lambda: hubspot.get_contact_by_email("ok@acme.io"), {"status": status})
        attempt(lambda: hubspot.lifecycle_stage_options(), {"latency_ms": 1000})  # timeout
        wrong = HubSpotClient(WRONG_TOKEN, base_url=base_url)
        texts.append(repr(wrong))
        attempt(lambda: wrong.get_contact_by_email("ok@acme.io"))  # 401
        admin.post("/admin/faults", json={"token": TOKEN})  # clear the latency
        admin.post("/admin/tokens", json={"token": TOKEN, "limit": 1})
        hubspot.lifecycle_stage_options()
        attempt(lambda: hubspot.lifecycle_stage_options())  # real rolling-window 429
        down = HubSpotClient(TOKEN, base_url=f"http://127.0.0.1:{_free_port()}", timeout=0.5)
        attempt(lambda: down.create_contact({"email": "x@acme.io"}))  # connection refused
    texts.extend(str(e) for e in events)
    texts.extend(r.getMessage() for r in caplog.records)
    texts.extend(str(r.__dict__) for r in caplog.records)
    texts.append(admin.get("/admin/requests").text)
    texts.append(admin.get("/admin/contacts").text)
    admin.close()
    assert len(events) >= 10 and len(texts) > 40
    for text in texts:
        assert TOKEN not in text and WRONG_TOKEN not in text, text[:300]
        assert "leakcheck" not in text, text[:300]
